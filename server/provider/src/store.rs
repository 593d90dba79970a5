//! The embedded provider's tables (`migrations/*/0002_provider.sql`). Portable SQL
//! through `sqlx::Any`, like `crate::store`.

use sqlx::{any::AnyRow, AnyConnection, Row};

use app::admin::Role;

fn decode(column: &'static str, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.into(),
        source: message.into(),
    }
}

// ---- accounts ----

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub name: String,
    pub picture: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
}

const ACCOUNT_COLUMNS: &str = "id, email, name, picture, role, password_hash, disabled";

fn account_from(row: &AnyRow) -> sqlx::Result<Account> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        picture: row.try_get("picture")?,
        role: role.parse().map_err(|err| decode("role", err))?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// Adds an account; its id (the `sub`) is a new UUID. A taken email is a unique violation.
pub async fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount<'_>,
    now: i64,
) -> sqlx::Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO accounts (id, email, name, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(account.email.to_lowercase())
    .bind(account.name)
    .bind(account.role.as_str())
    .bind(account.password_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn account_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> sqlx::Result<Option<Account>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1"
    )))
    .bind(email.to_lowercase())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(account_from)
    .transpose()
}

pub async fn account(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Account>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(account_from)
    .transpose()
}

pub async fn accounts(conn: &mut AnyConnection) -> sqlx::Result<Vec<Account>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(account_from)
    .collect()
}

pub async fn set_disabled(
    conn: &mut AnyConnection,
    account_id: &str,
    disabled: bool,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(disabled))
        .bind(now)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_password(
    conn: &mut AnyConnection,
    account_id: &str,
    password_hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_role(
    conn: &mut AnyConnection,
    account_id: &str,
    role: Role,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE accounts SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- invitations ----

/// Adds a one-time link (by its token's hash) for an account to set its password.
pub async fn insert_invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_id: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO invitations (token_hash, account_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account a link is for, if the link is unused and unexpired.
pub async fn open_invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT account_id FROM invitations
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// Marks a link used (the password was set with it).
pub async fn use_invitation(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE invitations SET used_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Lets every open link of an account expire now: a newer link, or a password set, makes
/// the older links void.
pub async fn void_invitations(
    conn: &mut AnyConnection,
    account_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE invitations SET expires_at = $1
         WHERE account_id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the account has never set a password: an invitation was made for it and
/// none has been used.
pub async fn awaits_first_password(
    conn: &mut AnyConnection,
    account_id: &str,
) -> sqlx::Result<bool> {
    let invited: Option<i64> = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE account_id = $1
         HAVING COUNT(*) > 0 AND COUNT(used_at) = 0",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(invited.is_some())
}

/// Accounts that have never set a password: an invitation was made for them and none
/// has been used.
pub async fn never_signed_up(conn: &mut AnyConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT account_id FROM invitations i WHERE NOT EXISTS
            (SELECT 1 FROM invitations u WHERE u.account_id = i.account_id AND u.used_at IS NOT NULL)",
    )
    .fetch_all(&mut *conn)
    .await
}

// ---- clients ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// The PWA and other apps that cannot keep a secret: PKCE, no secret.
    Public,
    /// Batch uploaders: client credentials with a secret.
    Confidential,
}

impl ClientKind {
    fn as_str(self) -> &'static str {
        match self {
            ClientKind::Public => "public",
            ClientKind::Confidential => "confidential",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub kind: ClientKind,
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// What client credentials may grant (space-separated).
    pub scopes: String,
}

fn json_list(row: &AnyRow, column: &'static str) -> sqlx::Result<Vec<String>> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|err| decode(column, err.to_string()))
}

pub async fn client(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Client>> {
    let Some(row) = sqlx::query(
        "SELECT id, name, kind, secret_hash, redirect_uris, post_logout_redirect_uris, scopes
         FROM oauth_clients WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    Ok(Some(Client {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: match kind.as_str() {
            "public" => ClientKind::Public,
            "confidential" => ClientKind::Confidential,
            other => return Err(decode("kind", format!("unknown client kind {other}"))),
        },
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: json_list(&row, "redirect_uris")?,
        post_logout_redirect_uris: json_list(&row, "post_logout_redirect_uris")?,
        scopes: row.try_get("scopes")?,
    }))
}

/// Registers a client, or replaces the registration of the same id.
pub async fn upsert_client(
    conn: &mut AnyConnection,
    client: &Client,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oauth_clients (id, name, kind, secret_hash, redirect_uris,
                                    post_logout_redirect_uris, scopes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET
             name = excluded.name, kind = excluded.kind, secret_hash = excluded.secret_hash,
             redirect_uris = excluded.redirect_uris,
             post_logout_redirect_uris = excluded.post_logout_redirect_uris,
             scopes = excluded.scopes",
    )
    .bind(&client.id)
    .bind(&client.name)
    .bind(client.kind.as_str())
    .bind(&client.secret_hash)
    .bind(serde_json::Value::from(client.redirect_uris.clone()).to_string())
    .bind(serde_json::Value::from(client.post_logout_redirect_uris.clone()).to_string())
    .bind(&client.scopes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- browser sessions ----

#[derive(Debug, Clone)]
pub struct Session {
    pub sid: String,
    pub account_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    session: &Session,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO provider_sessions (id_hash, sid, account_id, auth_time, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(&session.sid)
    .bind(&session.account_id)
    .bind(session.auth_time)
    .bind(session.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn session(conn: &mut AnyConnection, id_hash: &str) -> sqlx::Result<Option<Session>> {
    let Some(row) = sqlx::query(
        "SELECT sid, account_id, auth_time, expires_at FROM provider_sessions WHERE id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Session {
        sid: row.try_get("sid")?,
        account_id: row.try_get("account_id")?,
        auth_time: row.try_get("auth_time")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM provider_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_session_by_sid(conn: &mut AnyConnection, sid: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM provider_sessions WHERE sid = $1")
        .bind(sid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- pending logins ----

pub struct PendingLogin {
    pub csrf: String,
    pub binding_hash: String,
    pub request: String,
    pub expires_at: i64,
}

pub async fn insert_pending(
    conn: &mut AnyConnection,
    id: &str,
    pending: &PendingLogin,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO pending_logins (id, csrf, binding_hash, request, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(&pending.csrf)
    .bind(&pending.binding_hash)
    .bind(&pending.request)
    .bind(pending.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn pending(conn: &mut AnyConnection, id: &str) -> sqlx::Result<Option<PendingLogin>> {
    let Some(row) = sqlx::query(
        "SELECT csrf, binding_hash, request, expires_at FROM pending_logins WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(PendingLogin {
        csrf: row.try_get("csrf")?,
        binding_hash: row.try_get("binding_hash")?,
        request: row.try_get("request")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub async fn delete_pending(conn: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM pending_logins WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- authorization codes ----

#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub account_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: i64,
    pub sid: Option<String>,
    pub family_id: String,
    pub expires_at: i64,
    /// The DPoP key the code may be redeemed with (`dpop_jkt` of the request).
    pub dpop_jkt: Option<String>,
}

pub async fn insert_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    grant: &CodeGrant,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO authorization_codes (code_hash, client_id, account_id, redirect_uri, scope,
             nonce, code_challenge, auth_time, sid, family_id, expires_at, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(code_hash)
    .bind(&grant.client_id)
    .bind(&grant.account_id)
    .bind(&grant.redirect_uri)
    .bind(&grant.scope)
    .bind(&grant.nonce)
    .bind(&grant.code_challenge)
    .bind(grant.auth_time)
    .bind(&grant.sid)
    .bind(&grant.family_id)
    .bind(grant.expires_at)
    .bind(&grant.dpop_jkt)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub struct StoredCode {
    pub grant: CodeGrant,
    pub used: bool,
}

pub async fn code(conn: &mut AnyConnection, code_hash: &str) -> sqlx::Result<Option<StoredCode>> {
    let Some(row) = sqlx::query(
        "SELECT client_id, account_id, redirect_uri, scope, nonce, code_challenge, auth_time,
                sid, family_id, expires_at, used_at, dpop_jkt
         FROM authorization_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredCode {
        grant: CodeGrant {
            client_id: row.try_get("client_id")?,
            account_id: row.try_get("account_id")?,
            redirect_uri: row.try_get("redirect_uri")?,
            scope: row.try_get("scope")?,
            nonce: row.try_get("nonce")?,
            code_challenge: row.try_get("code_challenge")?,
            auth_time: row.try_get("auth_time")?,
            sid: row.try_get("sid")?,
            family_id: row.try_get("family_id")?,
            expires_at: row.try_get("expires_at")?,
            dpop_jkt: row.try_get("dpop_jkt")?,
        },
        used: row.try_get::<Option<i64>, _>("used_at")?.is_some(),
    }))
}

/// Marks a code used; false when another request did first (both in one transaction
/// with what the redemption issues, so a replay always finds what to revoke).
pub async fn mark_code_used(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every sign-in of an account: its provider sessions and refresh-token families
/// (a new password or a disabled account must shut out whoever held the old ones).
pub async fn end_sign_ins(
    conn: &mut AnyConnection,
    account_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM provider_sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE token_families SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- refresh-token families ----

#[derive(Debug, Clone)]
pub struct Family {
    pub id: String,
    pub account_id: String,
    pub client_id: String,
    pub scope: String,
    pub auth_time: i64,
    pub sid: Option<String>,
    pub expires_at: i64,
    pub revoked: bool,
    /// The DPoP key a public client's refresh tokens are bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

pub async fn insert_family(
    conn: &mut AnyConnection,
    family: &Family,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO token_families (id, account_id, client_id, scope, auth_time, sid,
                                     created_at, expires_at, dpop_jkt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&family.id)
    .bind(&family.account_id)
    .bind(&family.client_id)
    .bind(&family.scope)
    .bind(family.auth_time)
    .bind(&family.sid)
    .bind(now)
    .bind(family.expires_at)
    .bind(&family.dpop_jkt)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    family_id: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, issued_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub struct StoredRefresh {
    pub expires_at: i64,
    pub used: bool,
    pub family: Family,
}

pub async fn refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> sqlx::Result<Option<StoredRefresh>> {
    let Some(row) = sqlx::query(
        "SELECT r.expires_at AS token_expires_at, r.used_at, f.id, f.account_id, f.client_id,
                f.scope, f.auth_time, f.sid, f.expires_at, f.revoked_at, f.dpop_jkt
         FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id
         WHERE r.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(StoredRefresh {
        expires_at: row.try_get("token_expires_at")?,
        used: row.try_get::<Option<i64>, _>("used_at")?.is_some(),
        family: Family {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            client_id: row.try_get("client_id")?,
            scope: row.try_get("scope")?,
            auth_time: row.try_get("auth_time")?,
            sid: row.try_get("sid")?,
            expires_at: row.try_get("expires_at")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            dpop_jkt: row.try_get("dpop_jkt")?,
        },
    }))
}

/// Marks a refresh token rotated; false when it already was (a concurrent reuse).
pub async fn mark_refresh_used(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke_family(
    conn: &mut AnyConnection,
    family_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a DPoP proof the token endpoint accepted; false when any instance already
/// had (a replay). `proof_key` is base64url; `expires_at` Unix ms.
pub async fn remember_proof(
    conn: &mut AnyConnection,
    proof_key: &str,
    expires_at: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO dpop_proofs (proof_key, expires_at) VALUES ($1, $2)
         ON CONFLICT (proof_key) DO NOTHING",
    )
    .bind(proof_key)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes the refresh tokens of every sign-in of one provider session (logout).
pub async fn revoke_families_of_session(
    conn: &mut AnyConnection,
    sid: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE sid = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(sid)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- failed logins ----

/// Attempts counted within this window lock the email…
pub const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// …once this many have failed…
pub const MAX_FAILURES: i64 = 5;
/// …for this long.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

/// Whether a login attempt for an email may go ahead.
pub enum Attempt {
    /// Yes: this is attempt number `attempts` in the current window.
    Allowed {
        attempts: i64,
    },
    Locked {
        until: i64,
    },
}

/// Counts a login attempt for `email` (known or not) before its password is checked.
pub async fn begin_attempt(
    conn: &mut AnyConnection,
    email: &str,
    now: i64,
) -> sqlx::Result<Attempt> {
    let row = sqlx::query(
        "INSERT INTO login_failures (email, failures, window_start) VALUES ($1, 1, $2)
         ON CONFLICT (email) DO UPDATE SET
             failures = CASE WHEN login_failures.window_start < $3 THEN 1
                             ELSE login_failures.failures + 1 END,
             window_start = CASE WHEN login_failures.window_start < $3 THEN $2
                                 ELSE login_failures.window_start END
         RETURNING failures, locked_until",
    )
    .bind(email)
    .bind(now)
    .bind(now - FAILURE_WINDOW_MS)
    .fetch_one(&mut *conn)
    .await?;
    let attempts: i64 = row.try_get("failures")?;
    let locked_until: Option<i64> = row.try_get("locked_until")?;
    match locked_until {
        Some(until) if until > now => Ok(Attempt::Locked { until }),
        _ if attempts > MAX_FAILURES => Ok(Attempt::Locked {
            until: lock(conn, email, now).await?,
        }),
        _ => Ok(Attempt::Allowed { attempts }),
    }
}

/// Locks `email` for [`LOCKOUT_MS`] from now; returns until when.
pub async fn lock(conn: &mut AnyConnection, email: &str, now: i64) -> sqlx::Result<i64> {
    let until = now + LOCKOUT_MS;
    sqlx::query(
        "UPDATE login_failures SET locked_until = $1, failures = 0, window_start = $2
         WHERE email = $3",
    )
    .bind(until)
    .bind(now)
    .bind(email)
    .execute(&mut *conn)
    .await?;
    Ok(until)
}

pub async fn clear_failures(conn: &mut AnyConnection, email: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(email)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---- housekeeping ----

/// Used codes are kept this long after they expire, so a late replay still revokes.
const SPENT_CODES_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// Deletes what can no longer be used: expired login forms, sessions and codes, the
/// refresh tokens of ended sign-ins, and stale failure counters. Returns rows deleted.
pub async fn purge_expired(conn: &mut AnyConnection, now: i64) -> sqlx::Result<u64> {
    let statements = [
        ("DELETE FROM pending_logins WHERE expires_at < $1", now),
        ("DELETE FROM provider_sessions WHERE expires_at < $1", now),
        (
            "DELETE FROM authorization_codes WHERE expires_at < $1",
            now - SPENT_CODES_KEPT_MS,
        ),
        (
            "DELETE FROM refresh_tokens WHERE family_id IN
                 (SELECT id FROM token_families WHERE expires_at < $1)",
            now,
        ),
        ("DELETE FROM token_families WHERE expires_at < $1", now),
        ("DELETE FROM dpop_proofs WHERE expires_at < $1", now),
        ("DELETE FROM passkey_ceremonies WHERE expires_at < $1", now),
        (
            "DELETE FROM login_failures
             WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $1)",
            now - FAILURE_WINDOW_MS,
        ),
    ];
    let mut deleted = 0;
    for (sql, before) in statements {
        deleted += sqlx::query(sql)
            .bind(before)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(deleted)
}
