//! `users`: people known by (issuer, subject).

use app::auth::User;
use db::WriteTx;
use sqlx::{AnyConnection, Row};

/// The user's row id, creating the row on first sight and refreshing name and email
/// from the token's claims when it has them.
pub async fn upsert(tx: &mut WriteTx, user: &User, now: i64) -> sqlx::Result<String> {
    let conn: &mut AnyConnection = tx;
    let id = uuid::Uuid::new_v4().to_string();
    let row = sqlx::query(
        "INSERT INTO users (id, issuer, subject, email, name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (issuer, subject) DO UPDATE SET
             email = COALESCE(excluded.email, users.email),
             name = COALESCE(excluded.name, users.name),
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(&id)
    .bind(&user.issuer)
    .bind(&user.subject)
    .bind(&user.email)
    .bind(&user.name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    row.try_get("id")
}

/// The row id of (issuer, subject), if they were ever seen.
pub async fn find(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query("SELECT id FROM users WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()
}

/// The row ids of users with this email (case-insensitive); more than one means the
/// email is ambiguous.
pub async fn find_by_email(conn: &mut AnyConnection, email: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query("SELECT id FROM users WHERE lower(email) = lower($1) LIMIT 2")
        .bind(email)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect()
}
