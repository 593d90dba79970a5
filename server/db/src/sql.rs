//! SQL written once for both backends: the few places where they differ.

use sqlx::AnyConnection;

/// Whether the connection is to SQLite (else PostgreSQL), for the few statements whose
/// SQL differs between the two.
pub fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// How a statement built at run time names its parameters: `$1, $2, …` on PostgreSQL,
/// anonymous `?` on SQLite. sqlx asks SQLite for every parameter's name, and SQLite finds
/// it by scanning all named parameters, so binding n `$N` parameters costs O(n²) (felt by
/// batch inserts of thousands of parameters); `?` makes it linear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Params {
    Numbered,
    Anonymous,
}

impl Params {
    pub fn of(conn: &AnyConnection) -> Params {
        if is_sqlite(conn) {
            Params::Anonymous
        } else {
            Params::Numbered
        }
    }

    /// `count` placeholders separated by commas, the first one being parameter `first`.
    /// A statement must use one style throughout: sqlx numbers anonymous SQLite
    /// parameters by their position, not after the highest `$N` seen.
    pub fn list(self, first: usize, count: usize) -> String {
        let placeholders: Vec<String> = (first..first + count)
            .map(|n| match self {
                Params::Numbered => format!("${n}"),
                Params::Anonymous => "?".to_owned(),
            })
            .collect();
        placeholders.join(", ")
    }

    /// `(…), (…)` for a multi-row `VALUES` of `rows` rows of `columns` parameters.
    pub fn rows(self, rows: usize, columns: usize) -> String {
        let rows: Vec<String> = (0..rows)
            .map(|row| format!("({})", self.list(row * columns + 1, columns)))
            .collect();
        rows.join(", ")
    }
}

/// A statement built at run time for one batch (its text varies with the batch's size).
/// Not kept prepared: PostgreSQL would soon reuse a generic plan made while the table was
/// small, e.g. scanning every row of a source instead of looking up the `IN` list in the
/// (source, external_id) index, which made each upload slower than the one before.
pub fn bulk(sql: String) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    // The text is built from placeholders and constant column names, never from input.
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false)
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(Params::Numbered.rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(Params::Anonymous.rows(2, 2), "(?, ?), (?, ?)");
        assert_eq!(Params::Numbered.list(2, 3), "$2, $3, $4");
        assert_eq!(Params::Anonymous.list(2, 1), "?");
    }
}
