//! The timesheet CSV format: what `GET /api/timesheets/export` writes and what batch
//! imports read, so an export can be imported again. RFC 4180 (via the `csv` crate),
//! UTF-8, a header row, one entry per line.

use std::borrow::Cow;

use app::entries::Entry;

/// The columns, in order. `external_id` is the uploader's id of a batch entry, or the
/// entry's own id, so every exported line can be imported again without duplicates.
pub const COLUMNS: [&str; 14] = [
    "id",
    "external_id",
    "user_issuer",
    "user_subject",
    "user_email",
    "user_name",
    "date",
    "project",
    "minutes",
    "hours",
    "status",
    "note",
    "decision_note",
    "source",
];

/// Spreadsheets run a cell that starts with one of these as a formula (CSV injection):
/// such free text is written with a leading `'`, which spreadsheets hide, and which
/// [`unguard`] removes on import.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn guard(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text as it was before [`guard`].
pub fn unguard(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

/// The entries as a CSV document with a header row.
pub fn write(entries: &[Entry]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(entries.len() * 160 + 200));
    writer.write_record(COLUMNS)?;
    for entry in entries {
        let id = entry.id.to_string();
        let minutes = entry.minutes.get();
        let hours = format!("{:.2}", f64::from(minutes) / 60.0);
        let text =
            |value: &Option<String>| guard(value.as_deref().unwrap_or_default()).into_owned();
        writer.write_record([
            id.as_str(),
            &guard(entry.external_id.as_deref().unwrap_or(&id)),
            &entry.owner.issuer,
            &entry.owner.subject,
            &text(&entry.owner.email),
            &text(&entry.owner.name),
            &entry.date.to_string(),
            entry.project.as_str(),
            &minutes.to_string(),
            &hours,
            entry.status.as_str(),
            &text(&entry.note),
            &text(&entry.decision_note),
            &entry.source,
        ])?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_guarded_and_restored() {
        for text in ["=SUM(A1:A9)", "+1", "-5 h", "@cmd", "\tx"] {
            let guarded = guard(text);
            assert!(guarded.starts_with('\''), "{text}");
            assert_eq!(unguard(&guarded), text);
        }
        for text in ["plain note", "'quoted", "", "a=b"] {
            assert_eq!(guard(text), text);
            assert_eq!(unguard(text), text);
        }
    }
}
