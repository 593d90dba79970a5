//! The passkey tables (`migrations/*/0006_passkeys.sql`): credentials, ceremonies under
//! way, and the provider's policies. Portable SQL through `sqlx::Any`.

use app::passkeys::PasskeySummary;
use sqlx::{any::AnyRow, AnyConnection, Row};
use webauthn_rs::prelude::Passkey;

use crate::secrets::{random_token, token_hash};

fn decode(
    column: &'static str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.into(),
        source: Box::new(error),
    }
}

// ---- passkeys ----

/// A passkey as stored: whose it is and webauthn-rs's credential.
pub struct StoredPasskey {
    pub summary: PasskeySummary,
    pub account_id: String,
    pub credential: Passkey,
    /// The credential's JSON as read, for [`record_use`]'s compare-and-set.
    pub stored: String,
}

const PASSKEY_COLUMNS: &str = "id, account_id, name, credential, created_at, last_used_at";

fn passkey_from(row: &AnyRow) -> sqlx::Result<StoredPasskey> {
    let credential: String = row.try_get("credential")?;
    Ok(StoredPasskey {
        summary: PasskeySummary {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
        },
        account_id: row.try_get("account_id")?,
        credential: serde_json::from_str(&credential).map_err(|err| decode("credential", err))?,
        stored: credential,
    })
}

/// A credential id as the `passkeys.id` column and the app have it.
pub fn credential_id(bytes: &[u8]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Someone's passkeys, oldest first.
pub async fn passkeys_of(
    conn: &mut AnyConnection,
    account_id: &str,
) -> sqlx::Result<Vec<StoredPasskey>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE account_id = $1 ORDER BY created_at, id"
    )))
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(passkey_from)
    .collect()
}

pub async fn passkey(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<StoredPasskey>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(passkey_from)
    .transpose()
}

/// How many passkeys someone has.
pub async fn count_of(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await
}

/// Stores a new passkey; a credential registered before (to anyone) is a unique violation.
pub async fn insert_passkey(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
    credential: &Passkey,
    now: i64,
) -> sqlx::Result<PasskeySummary> {
    let id = credential_id(credential.cred_id().as_ref());
    let json = serde_json::to_string(credential).map_err(|err| decode("credential", err))?;
    sqlx::query(
        "INSERT INTO passkeys (id, account_id, name, credential, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(name)
    .bind(json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(PasskeySummary {
        id,
        name: name.to_owned(),
        created_at: now,
        last_used_at: None,
    })
}

/// After a sign-in with it: when, and the credential's new signature counter — only if
/// the stored credential is still `read` (the JSON the sign-in checked against): false
/// when a parallel sign-in moved the counter first, or the passkey was removed.
pub async fn record_use(
    conn: &mut AnyConnection,
    id: &str,
    read: &str,
    credential: &Passkey,
    now: i64,
) -> sqlx::Result<bool> {
    let json = serde_json::to_string(credential).map_err(|err| decode("credential", err))?;
    let done = sqlx::query(
        "UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3 AND credential = $4",
    )
    .bind(json)
    .bind(now)
    .bind(id)
    .bind(read)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes one of `account_id`'s passkeys; false when they have none with this id.
pub async fn delete_passkey(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM passkeys WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes all of someone's passkeys (a lost phone); returns how many.
pub async fn delete_passkeys_of(conn: &mut AnyConnection, account_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM passkeys WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

// ---- ceremonies ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    Register,
    Authenticate,
}

impl CeremonyKind {
    fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Authenticate => "authenticate",
        }
    }
}

/// A ceremony under way, as its second request finds it.
pub struct Ceremony {
    pub account_id: Option<String>,
    pub pending_login: Option<String>,
    /// webauthn-rs's state, JSON.
    pub state: String,
}

/// Stores a ceremony's state; returns the token the browser sends back with its answer.
/// A new ceremony replaces the one its login form (or, from the profile, its person) had
/// under way, so a page asked again and again keeps one row, not one per request.
pub async fn begin_ceremony(
    conn: &mut AnyConnection,
    kind: CeremonyKind,
    account_id: Option<&str>,
    pending_login: Option<&str>,
    state: &str,
    expires_at: i64,
) -> sqlx::Result<String> {
    match (pending_login, account_id) {
        (Some(form), _) => {
            sqlx::query("DELETE FROM passkey_ceremonies WHERE pending_login = $1 AND kind = $2")
                .bind(form)
                .bind(kind.as_str())
                .execute(&mut *conn)
                .await?;
        }
        (None, Some(account)) => {
            sqlx::query(
                "DELETE FROM passkey_ceremonies
                 WHERE account_id = $1 AND pending_login IS NULL AND kind = $2",
            )
            .bind(account)
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await?;
        }
        (None, None) => {}
    }
    let token = random_token();
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id, kind, account_id, pending_login, state, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(kind.as_str())
    .bind(account_id)
    .bind(pending_login)
    .bind(state)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Whose passkey a registration ceremony is adding, if it is still there (not taken).
pub async fn ceremony_account(
    conn: &mut AnyConnection,
    token: &str,
) -> sqlx::Result<Option<String>> {
    let account: Option<Option<String>> = sqlx::query_scalar(
        "SELECT account_id FROM passkey_ceremonies WHERE id = $1 AND kind = 'register'",
    )
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(account.flatten())
}

/// Takes a ceremony of this kind out (each is answered once), if it has not expired.
pub async fn take_ceremony(
    conn: &mut AnyConnection,
    token: &str,
    kind: CeremonyKind,
    now: i64,
) -> sqlx::Result<Option<Ceremony>> {
    let id = token_hash(token);
    let Some(row) = sqlx::query(
        "SELECT account_id, pending_login, state, expires_at FROM passkey_ceremonies
         WHERE id = $1 AND kind = $2",
    )
    .bind(&id)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    // Only the request whose delete takes the row may use it.
    let taken = sqlx::query("DELETE FROM passkey_ceremonies WHERE id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    let expires_at: i64 = row.try_get("expires_at")?;
    if !taken || expires_at <= now {
        return Ok(None);
    }
    Ok(Some(Ceremony {
        account_id: row.try_get("account_id")?,
        pending_login: row.try_get("pending_login")?,
        state: row.try_get("state")?,
    }))
}

// ---- policies ----

const APPROVERS_NEED_PASSKEYS: &str = "approvers_need_passkeys";

/// Whether everyone who may approve time must sign in with a passkey.
pub async fn approvers_need_passkeys(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM provider_policies WHERE name = $1")
            .bind(APPROVERS_NEED_PASSKEYS)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(value.as_deref() == Some("true"))
}

pub async fn set_approvers_need_passkeys(conn: &mut AnyConnection, on: bool) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO provider_policies (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(APPROVERS_NEED_PASSKEYS)
    .bind(if on { "true" } else { "false" })
    .execute(&mut *conn)
    .await?;
    Ok(())
}
