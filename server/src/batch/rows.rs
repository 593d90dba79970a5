//! Reading an import file: CSV with a header row, each row checked with the same domain
//! rules the server applies (`UploadRow::parse`), so bad rows are reported with their
//! line before anything is sent.

use std::{collections::HashMap, io::Read};

use anyhow::{bail, Context};
use app::{domain::Minutes, entries::UploadRow};

use crate::timesheet_csv::unguard;

/// A valid row and the line it came from (1 is the header).
#[derive(Debug, Clone)]
pub struct CsvRow {
    pub line: u64,
    pub row: UploadRow,
}

/// A row refused, locally or by the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub external_id: String,
    pub field: String,
    pub message: String,
}

/// Where each field is read from: the first of its accepted names the header has.
struct Columns {
    external_id: usize,
    user_email: Option<usize>,
    user_issuer: Option<usize>,
    user_subject: Option<usize>,
    date: usize,
    project: usize,
    minutes: Option<usize>,
    duration: Option<usize>,
    hours: Option<usize>,
    note: Option<usize>,
}

const EXPECTED: &str =
    "external_id, user_email (or user_issuer + user_subject), date, project, duration (or minutes or hours), note";

impl Columns {
    fn find(header: &csv::StringRecord) -> anyhow::Result<Columns> {
        let names: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(index, name)| (name.trim().to_lowercase(), index))
            .collect();
        let any =
            |candidates: &[&str]| candidates.iter().find_map(|name| names.get(*name).copied());
        let found = header.iter().collect::<Vec<_>>().join(", ");
        let required = |candidates: &[&str]| {
            any(candidates).with_context(|| {
                format!(
                    "line 1: the header has no {} column (found: {found}; expected: {EXPECTED})",
                    candidates[0]
                )
            })
        };
        let columns = Columns {
            external_id: required(&["external_id", "id"])?,
            user_email: any(&["user_email", "email"]),
            user_issuer: any(&["user_issuer"]),
            user_subject: any(&["user_subject"]),
            date: required(&["date", "work_date"])?,
            project: required(&["project", "project_code"])?,
            minutes: any(&["minutes"]),
            duration: any(&["duration"]),
            hours: any(&["hours"]),
            note: any(&["note"]),
        };
        if columns.user_email.is_none()
            && (columns.user_issuer.is_none() || columns.user_subject.is_none())
        {
            bail!("line 1: the header has no user_email column (found: {found}; expected: {EXPECTED})");
        }
        if columns.minutes.is_none() && columns.duration.is_none() && columns.hours.is_none() {
            bail!(
                "line 1: the header has no duration column (found: {found}; expected: {EXPECTED})"
            );
        }
        Ok(columns)
    }
}

/// The rows of `reader`: the valid ones, and those refused with their line and reason.
/// A file that cannot be read as CSV at all (bad encoding, missing columns, a row with a
/// different number of fields) is an error naming the line.
pub fn read(reader: impl Read) -> anyhow::Result<(Vec<CsvRow>, Vec<Rejected>)> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let header = csv.headers().map_err(describe)?.clone();
    let columns = Columns::find(&header)?;
    let mut valid = Vec::new();
    let mut rejected = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in csv.records() {
        let record = record.map_err(describe)?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |index: Option<usize>| {
            index
                .and_then(|index| record.get(index))
                .filter(|value| !value.is_empty())
                .map(|value| unguard(value).to_owned())
        };
        let external_id = field(Some(columns.external_id)).unwrap_or_default();
        let reject = |field: &str, message: String| Rejected {
            line,
            external_id: external_id.clone(),
            field: field.to_owned(),
            message,
        };
        let minutes = match (
            field(columns.minutes),
            field(columns.duration),
            field(columns.hours),
        ) {
            (Some(minutes), _, _) => match minutes.parse::<u32>() {
                Ok(minutes) => Some(minutes),
                Err(_) => {
                    rejected.push(reject(
                        "minutes",
                        format!("{minutes:?} is not a whole number of minutes"),
                    ));
                    continue;
                }
            },
            (None, Some(duration), _) => match Minutes::parse_duration(&duration) {
                Ok(minutes) => Some(minutes.get()),
                Err(error) => {
                    rejected.push(reject("duration", error.message));
                    continue;
                }
            },
            (None, None, _) => None,
        };
        let hours = match (minutes, field(columns.hours)) {
            (None, Some(hours)) => match hours.replace(',', ".").parse::<f64>() {
                Ok(hours) => Some(hours),
                Err(_) => {
                    rejected.push(reject(
                        "hours",
                        format!("{hours:?} is not a number of hours"),
                    ));
                    continue;
                }
            },
            _ => None,
        };
        // By email when the file has it (it travels between installations); otherwise by
        // issuer and subject.
        let email = field(columns.user_email);
        let (user_issuer, user_subject) = match email {
            Some(_) => (None, None),
            None => (field(columns.user_issuer), field(columns.user_subject)),
        };
        let row = UploadRow {
            external_id: external_id.clone(),
            user_email: email,
            user_issuer,
            user_subject,
            project: field(Some(columns.project)).unwrap_or_default(),
            date: field(Some(columns.date)).unwrap_or_default(),
            hours,
            minutes,
            note: field(columns.note),
        };
        if let Err(error) = row.clone().parse() {
            rejected.push(reject(error.field, error.message));
            continue;
        }
        if let Some(first) = first_line_of.get(&external_id) {
            rejected.push(reject(
                "external_id",
                format!("appears more than once in this file (first on line {first})"),
            ));
            continue;
        }
        first_line_of.insert(external_id, line);
        valid.push(CsvRow { line, row });
    }
    Ok((valid, rejected))
}

/// A CSV error as one line that says where.
fn describe(error: csv::Error) -> anyhow::Error {
    let line = error.position().map(csv::Position::line);
    let at = line
        .map(|line| format!("line {line}: "))
        .unwrap_or_default();
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => anyhow::anyhow!(
            "{at}field {} is not valid UTF-8; save the file as UTF-8",
            err.field() + 1
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            anyhow::anyhow!("{at}{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Io(io) => anyhow::anyhow!("cannot read the file: {io}"),
        _ => anyhow::anyhow!("{at}{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_with_their_lines_and_checked() {
        let text = "external_id,user_email,date,project,duration,note\n\
                    a1,ann@example.com,2026-11-02,ACME,1:30,\"'=not a formula\"\n\
                    a2,ann@example.com,2026-11-31,ACME,1h,\n\
                    a3,ann@example.com,2026-11-03,ACME,90m,\n\
                    a1,ann@example.com,2026-11-04,ACME,2,\n\
                    a5,not-an-email,2026-11-05,ACME,2,\n";
        let (valid, rejected) = read(text.as_bytes()).expect("readable");
        let lines: Vec<u64> = valid.iter().map(|row| row.line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(valid[0].row.minutes, Some(90));
        assert_eq!(valid[0].row.note.as_deref(), Some("=not a formula"));
        let refused: Vec<(u64, &str)> = rejected
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(refused, [(3, "date"), (5, "external_id"), (6, "user")]);
    }

    #[test]
    fn a_missing_column_or_bad_encoding_names_the_line() {
        let error = read("external_id,date,project,duration\nx,2026-11-02,ACME,1\n".as_bytes())
            .expect_err("no user column");
        assert!(
            error.to_string().contains("line 1") && error.to_string().contains("user_email"),
            "{error}"
        );

        let mut bytes =
            b"external_id,user_email,date,project,duration\nx,ann@example.com,2026-11-02,AC"
                .to_vec();
        bytes.extend([0xff, 0xfe]);
        bytes.extend(b"ME,1\n");
        let error = read(bytes.as_slice()).expect_err("not UTF-8");
        assert!(
            error.to_string().contains("line 2") && error.to_string().contains("UTF-8"),
            "{error}"
        );

        let error =
            read("external_id,user_email,date,project,duration\nx,a@b.c,2026-11-02\n".as_bytes())
                .expect_err("short row");
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
