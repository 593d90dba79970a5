//! The OpenAPI 3.1 document served at `/api/openapi.json`. Paths come from the handlers'
//! `#[utoipa::path]` attributes through `utoipa_axum::routes!`, which also registers the
//! routes, so the document and the router cannot drift apart. This module adds what every
//! operation shares: the Bearer scheme and the error responses of the gate.

use app::auth::Scope;
use utoipa::{
    openapi::{
        path::{Operation, PathItem},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    },
    Modify, OpenApi as _, PartialSchema, ToSchema,
};

/// Every error response: `{"error": code, "message": …}`, plus the `field` of a
/// validation error or the `scope` a token lacks. Written by `error::app_error_response`.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // Only its schema is used.
pub struct ErrorBody {
    /// Machine-readable, stable: `unauthorized`, `invalid_dpop_proof`,
    /// `insufficient_user_authentication`, `insufficient_scope`, `forbidden`,
    /// `not_found`, `bad_request`, `payload_too_large`, `unsupported_media_type`,
    /// `precondition_failed`, `validation`, `conflict`, `unavailable`, `internal`.
    #[schema(example = "validation")]
    error: String,
    /// For people; may change between versions.
    message: String,
    /// The input field a `validation` error is about.
    field: Option<String>,
    /// The scope an `insufficient_scope` error asks for.
    scope: Option<Scope>,
    /// The media type an `unsupported_media_type` error expects.
    expected: Option<String>,
    /// Seconds: how recent a sign-in an `insufficient_user_authentication` error needs.
    max_age: Option<u64>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Timesheets API",
        description = "Log working time, submit weeks, approve them, upload in batches. \
            Every operation needs an OAuth 2.0 access token (a JWT from the configured \
            OpenID Connect provider) in `Authorization: Bearer …`, or for a DPoP-bound \
            token `Authorization: DPoP …` with a `DPoP` proof (RFC 9449), with the scope \
            it names. Decisions need a recent sign-in (RFC 9470).",
        license(name = "MIT", identifier = "MIT"),
    ),
    // Query and path parameters refer to these by name; bodies register their own.
    components(schemas(
        ErrorBody,
        app::domain::WorkDate,
        app::domain::IsoWeek,
        app::domain::EntryId,
        app::overview::Period
    )),
    tags(
        (name = "timesheets", description = "One's own entries and weeks"),
        (name = "approvals", description = "Deciding on others' submitted entries; the team's hours"),
        (name = "timer", description = "The running timer: one per person, across devices"),
        (name = "reminders", description = "Web Push reminders on a person's devices"),
        (name = "batch", description = "Uploads by machine clients (client credentials)"),
        (name = "account", description = "Who the token speaks for"),
        (name = "projects", description = "What time is booked on; administered with manage:projects"),
        (name = "people", description = "The embedded provider's people, with manage:people"),
    ),
)]
pub struct ApiDoc;

/// The name operations use in `security(("bearer" = [...]))`.
pub const BEARER: &str = "bearer";

/// The Bearer scheme, and the answers of the gate and of an unavailable database that
/// any operation may give.
struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from the configured issuer whose audience is this API.",
                    ))
                    .build(),
            ),
        );
        let shared = [
            (
                "401",
                "Unauthorized",
                "No access token, or one that is not valid (the body never says which check \
                 failed); `WWW-Authenticate: Bearer error=\"invalid_token\"`. A DPoP-bound \
                 token without a good proof: `DPoP error=\"invalid_dpop_proof\"`. A \
                 decision with a sign-in older than the server allows: `Bearer \
                 error=\"insufficient_user_authentication\", max_age=…` (RFC 9470).",
            ),
            (
                "403",
                "Forbidden",
                "The token lacks the scope (`error: insufficient_scope`, and \
                 `WWW-Authenticate` names it), or the route is not for this kind of caller \
                 (user routes refuse machine clients and the batch route refuses users).",
            ),
            (
                "503",
                "Unavailable",
                "The database does not answer; retrying later may help.",
            ),
            ("500", "Internal", "A bug; details are in the server's log."),
        ];
        for (_, name, description) in shared {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build(),
            );
            if matches!(name, "Unauthorized" | "Forbidden") {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(Some(String::schema()))
                        .description(Some(
                            "The RFC 6750 Bearer challenge (RFC 9449's DPoP challenge for a \
                             bad proof).",
                        ))
                        .build(),
                );
            }
            components
                .responses
                .insert(name.to_owned(), response.build().into());
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for (status, name, _) in shared {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The document's skeleton (info, components, tags) before the routes add their paths.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// Adds what every operation shares, once the routes have added their paths.
pub fn complete(mut document: OpenApi) -> OpenApi {
    SharedResponses.modify(&mut document);
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::error::AppError;

    /// The codes the `Error` schema lists are the ones `AppError` serializes to.
    #[test]
    fn the_error_schema_names_every_code() {
        let RefOr::T(utoipa::openapi::Schema::Object(schema)) = ErrorBody::schema() else {
            panic!("an object schema");
        };
        let RefOr::T(utoipa::openapi::Schema::Object(code)) = &schema.properties["error"] else {
            panic!("an error property");
        };
        let documented = code.description.clone().unwrap_or_default();
        let errors = [
            AppError::Unauthorized,
            AppError::InvalidDpopProof,
            AppError::InsufficientUserAuthentication { max_age: 900 },
            AppError::InsufficientScope {
                scope: Scope::ReadTimesheets,
            },
            AppError::Forbidden {
                message: String::new(),
            },
            AppError::NotFound,
            AppError::BadRequest {
                message: String::new(),
            },
            AppError::PayloadTooLarge,
            AppError::UnsupportedMediaType {
                expected: String::new(),
            },
            AppError::PreconditionFailed,
            AppError::Validation {
                field: String::new(),
                message: String::new(),
            },
            AppError::Conflict {
                message: String::new(),
            },
            AppError::Unavailable,
            AppError::Internal,
        ];
        for error in errors {
            let value = serde_json::to_value(&error).expect("serializable");
            let code = value["error"].as_str().expect("a code");
            assert!(
                documented.contains(&format!("`{code}`")),
                "{code} is not documented"
            );
        }
    }
}
