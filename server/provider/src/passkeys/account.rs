//! `/account/passkeys`: the signed-in person's passkeys, for the app's profile screen.
//! Access tokens are checked by the API's own gate (as at userinfo), and errors are the
//! API's JSON, so the app handles both alike.

use app::{
    auth::{Principal, User},
    bearer::access_token,
    error::AppError,
    passkeys::{CeremonyOptions, NewPasskey, PasskeyList, PasskeyName},
};
use axum::{
    extract::{Path, Request, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use db::clock::now_ms;

use super::{
    policy_applies_to,
    registration::{self, Refused},
    store as passkey_store,
};
use crate::{
    api_error::app_error_response,
    store::{self, Account},
    tokens::verified_claim,
    Provider,
};

/// Largest answer read from the authenticator (attestation objects are a few KB).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Database trouble as the API answers it, logged here.
fn database(error: sqlx::Error) -> AppError {
    if db::is_away(&error) {
        tracing::warn!(%error, "database unavailable");
        AppError::Unavailable
    } else {
        tracing::error!(%error, "passkey request failed");
        AppError::Internal
    }
}

impl From<Refused> for AppError {
    fn from(refused: Refused) -> AppError {
        match refused {
            Refused::Expired => AppError::Validation {
                field: "ceremony".into(),
                message: refused.to_string(),
            },
            Refused::NotVerified => AppError::Validation {
                field: "credential".into(),
                message: refused.to_string(),
            },
            Refused::Duplicate => AppError::Conflict {
                message: refused.to_string(),
            },
            Refused::Database(error) => database(error),
            Refused::Internal(error) => match error.downcast::<sqlx::Error>() {
                Ok(error) => database(error),
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "passkey request failed");
                    AppError::Internal
                }
            },
        }
    }
}

/// The person the request's token speaks for: one of this provider's enabled accounts,
/// signed in to the app itself. A token another app got (perhaps silently, from the
/// provider's session) must not manage the person's passkeys.
async fn signed_in(provider: &Provider, parts: &Parts) -> Result<(User, Account), AppError> {
    let user = match provider.inner.verifier.principal(parts).await? {
        Principal::User(user) if user.issuer == provider.issuer() => user,
        _ => return Err(AppError::Unauthorized),
    };
    let client =
        access_token(&parts.headers).and_then(|(_, token)| verified_claim(token, "client_id"));
    if client.as_deref() != Some(provider.settings().pwa_client_id.as_str()) {
        return Err(AppError::Forbidden {
            message: "only the Timesheets app manages passkeys".into(),
        });
    }
    let mut conn = provider.db().acquire().await.map_err(database)?;
    match store::account(&mut conn, &user.subject).await {
        Ok(Some(account)) if !account.disabled => Ok((user, account)),
        Ok(_) => Err(AppError::Unauthorized),
        Err(error) => Err(database(error)),
    }
}

/// Step-up (RFC 9470), as for approving: a phone left signed in for weeks must not let
/// someone else add their own passkey, or remove the owner's.
fn require_recent_sign_in(provider: &Provider, user: &User) -> Result<(), AppError> {
    let max_age = provider.settings().passkey_max_auth_age.as_secs();
    user.require_sign_in_within(max_age, now_ms() / 1000)
}

/// `GET /account/passkeys`: the person's passkeys, and whether they must use one.
pub async fn list(State(provider): State<Provider>, parts: Parts) -> Response {
    let result = async {
        let (_, account) = signed_in(&provider, &parts).await?;
        let mut conn = provider.db().acquire().await.map_err(database)?;
        let passkeys = passkey_store::passkeys_of(&mut conn, &account.id)
            .await
            .map_err(database)?;
        let policy = passkey_store::approvers_need_passkeys(&mut conn)
            .await
            .map_err(database)?;
        Ok::<_, AppError>(PasskeyList {
            passkeys: passkeys
                .into_iter()
                .map(|passkey| passkey.summary)
                .collect(),
            required: policy && policy_applies_to(account.role),
        })
    };
    match result.await {
        Ok(list) => Json(list).into_response(),
        Err(error) => app_error_response(&error),
    }
}

/// `POST /account/passkeys/options`: starts adding a passkey (needs a recent sign-in).
pub async fn options(State(provider): State<Provider>, parts: Parts) -> Response {
    let result = async {
        let Some(webauthn) = provider.passkeys() else {
            return Err(AppError::NotFound);
        };
        let (user, account) = signed_in(&provider, &parts).await?;
        require_recent_sign_in(&provider, &user)?;
        let (ceremony, options) = registration::start(&provider, webauthn, &account, None).await?;
        Ok(CeremonyOptions { ceremony, options })
    };
    match result.await {
        Ok(options) => Json(options).into_response(),
        Err(error) => app_error_response(&error),
    }
}

/// `POST /account/passkeys`: the authenticator's answer to a ceremony started by the same
/// person; the new passkey (201).
pub async fn add(State(provider): State<Provider>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let result = async {
        let Some(webauthn) = provider.passkeys() else {
            return Err(AppError::NotFound);
        };
        let (_, account) = signed_in(&provider, &parts).await?;
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::Validation {
                field: "credential".into(),
                message: format!("the request body is over {MAX_BODY_BYTES} bytes"),
            })?;
        let new: NewPasskey =
            serde_json::from_slice(&body).map_err(|error| AppError::Validation {
                field: "body".into(),
                message: format!("not a new passkey: {error}"),
            })?;
        // Before the ceremony is used up: a bad name can be corrected.
        let name = PasskeyName::parse(&new.name)?;
        Ok(registration::finish(
            &provider,
            webauthn,
            &new.ceremony,
            &account.id,
            None,
            &name,
            new.credential,
        )
        .await?)
    };
    match result.await {
        Ok(summary) => (StatusCode::CREATED, Json(summary)).into_response(),
        Err(error) => app_error_response(&error),
    }
}

/// `DELETE /account/passkeys/{id}`: removes one of the person's passkeys (204). Needs a
/// recent sign-in; the last one of someone who must use passkeys stays.
pub async fn remove(
    State(provider): State<Provider>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let result = async {
        let (user, account) = signed_in(&provider, &parts).await?;
        require_recent_sign_in(&provider, &user)?;
        let removed = provider
            .db()
            .write(async |tx| {
                let required = passkey_store::approvers_need_passkeys(tx).await?
                    && policy_applies_to(account.role);
                let count = passkey_store::count_of(tx, &account.id).await?;
                if required && count == 1 {
                    return Ok(None);
                }
                passkey_store::delete_passkey(tx, &account.id, &id)
                    .await
                    .map(Some)
            })
            .await
            .map_err(database)?;
        match removed {
            Some(true) => Ok(()),
            Some(false) => Err(AppError::NotFound),
            None => Err(AppError::Conflict {
                message: "your organisation asks you to sign in with a passkey: add another one before removing this one".into(),
            }),
        }
    };
    match result.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => app_error_response(&error),
    }
}
