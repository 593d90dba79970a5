//! OpenAPI schemas of the domain values and scopes, written by hand so the document states
//! the same rules the parsers enforce (formats, ranges, lengths). Server only: the browser
//! bundle never carries them.

use utoipa::{
    openapi::{
        schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type},
        RefOr, Schema,
    },
    PartialSchema, ToSchema,
};

use crate::{
    auth::{Scope, ScopeSet},
    domain::{
        EntryId, IsoWeek, Minutes, Note, ProjectCode, ProjectName, WorkDate, MAX_MINUTES_PER_DAY,
    },
};

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

impl PartialSchema for WorkDate {
    fn schema() -> RefOr<Schema> {
        string("A calendar day, YYYY-MM-DD (years 2000-2999).")
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .examples(["2026-11-23"])
            .into()
    }
}
impl ToSchema for WorkDate {}

impl PartialSchema for IsoWeek {
    fn schema() -> RefOr<Schema> {
        string("An ISO 8601 week, Monday to Sunday.")
            .pattern(Some(r"^[0-9]{4}-W[0-9]{2}$"))
            .examples(["2026-W48"])
            .into()
    }
}
impl ToSchema for IsoWeek {}

impl PartialSchema for crate::overview::Period {
    fn schema() -> RefOr<Schema> {
        string("An ISO 8601 week (YYYY-Www) or a calendar month (YYYY-MM).")
            .pattern(Some(r"^[0-9]{4}-(W[0-9]{2}|[0-9]{2})$"))
            .examples(["2026-W49", "2026-12"])
            .into()
    }
}
impl ToSchema for crate::overview::Period {}

impl PartialSchema for EntryId {
    fn schema() -> RefOr<Schema> {
        string("An entry's id: a UUID, which the client may choose.")
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .into()
    }
}
impl ToSchema for EntryId {}

impl PartialSchema for Minutes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some("A duration in minutes, 1 to 1440."))
            .minimum(Some(1))
            .maximum(Some(MAX_MINUTES_PER_DAY))
            .into()
    }
}
impl ToSchema for Minutes {}

impl PartialSchema for Note {
    fn schema() -> RefOr<Schema> {
        string("Free text, trimmed; no control characters but line breaks and tabs.")
            .max_length(Some(Note::MAX_CHARS))
            .into()
    }
}
impl ToSchema for Note {}

impl PartialSchema for ProjectCode {
    fn schema() -> RefOr<Schema> {
        string("A project's code, upper-cased: 1-32 of A-Z, 0-9, '-', '_', '.'.")
            .pattern(Some(r"^[A-Z0-9._-]{1,32}$"))
            .examples(["ACME-42"])
            .into()
    }
}
impl ToSchema for ProjectCode {}

impl PartialSchema for ProjectName {
    fn schema() -> RefOr<Schema> {
        string("A project's display name, 1-100 characters.")
            .min_length(Some(1))
            .max_length(Some(100))
            .into()
    }
}
impl ToSchema for ProjectName {}

impl PartialSchema for Scope {
    fn schema() -> RefOr<Schema> {
        string("A permission of the Timesheets API, matched exactly.")
            .enum_values(Some(Scope::ALL.map(Scope::as_str)))
            .into()
    }
}
impl ToSchema for Scope {}

impl PartialSchema for ScopeSet {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(Scope::schema())
            .unique_items(true)
            .description(Some(
                "The API's scopes a token grants (others are left out).",
            ))
            .into()
    }
}
impl ToSchema for ScopeSet {}
