//! `/account/passkeys`: the signed-in person's passkeys, for the app's profile screen.
//! Access tokens are checked by the API's own gate (as at userinfo), and errors are the
//! API's JSON, so the app handles both alike.

use app::{
    auth::{Principal, User},
    error::AppError,
    passkeys::{CeremonyOptions, NewPasskey, PasskeyList, PasskeyName},
};
use axum::{
    extract::{Path, Request, State},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use db::{clock::now_ms, is_unique_violation};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::{
    discoverable, policy_applies_to,
    store::{self as passkey_store, CeremonyKind},
    CEREMONY_TTL_MS,
};
use crate::{
    api_error::app_error_response,
    store::{self, Account},
    Provider,
};

/// Largest answer read from the authenticator (attestation objects are a few KB).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// A refusal or failure as the API answers it; database trouble is logged here.
fn refused(error: AppError) -> Response {
    app_error_response(&error)
}

fn database(error: sqlx::Error) -> AppError {
    if db::is_away(&error) {
        tracing::warn!(%error, "database unavailable");
        AppError::Unavailable
    } else {
        tracing::error!(%error, "passkey request failed");
        AppError::Internal
    }
}

/// The person the request's token speaks for: one of this provider's enabled accounts.
async fn signed_in(provider: &Provider, parts: &Parts) -> Result<(User, Account), AppError> {
    let user = match provider.inner.verifier.principal(parts).await? {
        Principal::User(user) if user.issuer == provider.issuer() => user,
        _ => return Err(AppError::Unauthorized),
    };
    let mut conn = provider.db().acquire().await.map_err(database)?;
    match store::account(&mut conn, &user.subject).await {
        Ok(Some(account)) if !account.disabled => Ok((user, account)),
        Ok(_) => Err(AppError::Unauthorized),
        Err(error) => Err(database(error)),
    }
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
        Err(error) => refused(error),
    }
}

/// `POST /account/passkeys/options`: starts adding a passkey (needs a recent sign-in).
pub async fn options(State(provider): State<Provider>, parts: Parts) -> Response {
    let result = async {
        let Some(webauthn) = provider.passkeys() else {
            return Err(AppError::NotFound);
        };
        let (user, account) = signed_in(&provider, &parts).await?;
        let now = now_ms();
        // Step-up (RFC 9470), as for approving: a phone left signed in for weeks must not
        // let someone else add their own passkey.
        let max_age = provider.settings().passkey_max_auth_age.as_secs();
        user.require_sign_in_within(max_age, now / 1000)?;
        let Ok(id) = uuid::Uuid::parse_str(&account.id) else {
            tracing::error!(account = %account.id, "an account id is not a UUID");
            return Err(AppError::Internal);
        };
        let mut conn = provider.db().acquire().await.map_err(database)?;
        // The authenticator refuses to make a second passkey for the same account.
        let existing = passkey_store::passkeys_of(&mut conn, &account.id)
            .await
            .map_err(database)?
            .into_iter()
            .map(|passkey| passkey.credential.cred_id().clone())
            .collect();
        drop(conn);
        let (options, state) = webauthn
            .start_passkey_registration(id, &account.email, &account.name, Some(existing))
            .map_err(|error| {
                tracing::error!(%error, "cannot start a passkey registration");
                AppError::Internal
            })?;
        let options = serde_json::to_value(options).map_err(|_| AppError::Internal)?;
        let state = serde_json::to_string(&state).map_err(|_| AppError::Internal)?;
        let ceremony = provider
            .db()
            .write(async |tx| {
                passkey_store::begin_ceremony(
                    tx,
                    CeremonyKind::Register,
                    Some(&account.id),
                    None,
                    &state,
                    now + CEREMONY_TTL_MS,
                )
                .await
            })
            .await
            .map_err(database)?;
        Ok(CeremonyOptions {
            ceremony,
            options: discoverable(options),
        })
    };
    match result.await {
        Ok(options) => Json(options).into_response(),
        Err(error) => refused(error),
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
        let name = PasskeyName::parse(&new.name)?;
        let now = now_ms();
        let ceremony = provider
            .db()
            .write(async |tx| {
                passkey_store::take_ceremony(tx, &new.ceremony, CeremonyKind::Register, now).await
            })
            .await
            .map_err(database)?
            .filter(|ceremony| {
                ceremony.account_id.as_deref() == Some(account.id.as_str())
                    && ceremony.pending_login.is_none()
            })
            .ok_or_else(|| AppError::Validation {
                field: "ceremony".into(),
                message: "this request to add a passkey has expired: start again".into(),
            })?;
        let state: PasskeyRegistration =
            serde_json::from_str(&ceremony.state).map_err(|_| AppError::Internal)?;
        let not_verified = |why: String| {
            tracing::info!(why, "passkey registration refused");
            AppError::Validation {
                field: "credential".into(),
                message: "the passkey could not be verified".into(),
            }
        };
        let answer: RegisterPublicKeyCredential = serde_json::from_value(new.credential)
            .map_err(|error| not_verified(error.to_string()))?;
        let credential = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|error| not_verified(error.to_string()))?;
        provider
            .db()
            .write(async |tx| {
                passkey_store::insert_passkey(tx, &account.id, name.as_str(), &credential, now)
                    .await
            })
            .await
            .map_err(|error| {
                if is_unique_violation(&error) {
                    AppError::Conflict {
                        message: "this passkey is registered already".into(),
                    }
                } else {
                    database(error)
                }
            })
    };
    match result.await {
        Ok(summary) => (StatusCode::CREATED, Json(summary)).into_response(),
        Err(error) => refused(error),
    }
}

/// `DELETE /account/passkeys/{id}`: removes one of the person's passkeys (204).
pub async fn remove(
    State(provider): State<Provider>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let result = async {
        let (_, account) = signed_in(&provider, &parts).await?;
        let removed = provider
            .db()
            .write(async |tx| passkey_store::delete_passkey(tx, &account.id, &id).await)
            .await
            .map_err(database)?;
        if removed {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    };
    match result.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refused(error),
    }
}
