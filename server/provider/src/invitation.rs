//! `/oauth/invitation`: where someone an admin invited chooses their password, once,
//! from the link the admin sent them (`?token=…`, 7 days). The token is the only secret
//! the form needs: without it nothing can be set, so a forged cross-site post has nothing
//! to send. A used, voided or expired link sets nothing and says so.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    Form,
};
use serde::Deserialize;

use crate::{
    admin::{self, InvitationRefused},
    authorize::{dead_end, failure},
    pages::{self, InvitationForm},
    Provider,
};

#[derive(Debug, Deserialize)]
pub struct Link {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
pub struct Fields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

fn closed() -> Response {
    dead_end(
        StatusCode::GONE,
        "This link no longer works",
        "It has expired, was used already, or a newer link was sent. Ask your admin for a new one.",
    )
}

/// The form, for an open link.
pub async fn show(State(provider): State<Provider>, Query(link): Query<Link>) -> Response {
    match admin::invited_account(provider.db(), &link.token).await {
        Ok(account) => pages::respond(
            StatusCode::OK,
            pages::invitation(&InvitationForm {
                token: &link.token,
                name: &account.name,
                email: &account.email,
                error: None,
            }),
        ),
        Err(InvitationRefused::Closed) => closed(),
        Err(InvitationRefused::Database(error)) => failure(error),
        Err(error) => failure(anyhow::Error::from(error)),
    }
}

/// Sets the password; the form again with the reason when it is not acceptable.
pub async fn set_password(
    State(provider): State<Provider>,
    Form(fields): Form<Fields>,
) -> Response {
    let account = match admin::invited_account(provider.db(), &fields.token).await {
        Ok(account) => account,
        Err(InvitationRefused::Closed) => return closed(),
        Err(InvitationRefused::Database(error)) => return failure(error),
        Err(error) => return failure(anyhow::Error::from(error)),
    };
    let again = |error: &str| {
        pages::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::invitation(&InvitationForm {
                token: &fields.token,
                name: &account.name,
                email: &account.email,
                error: Some(error),
            }),
        )
    };
    if fields.password != fields.again {
        return again("The two passwords differ.");
    }
    match admin::accept_invitation(provider.db(), &fields.token, &fields.password).await {
        Ok(account) => pages::respond(
            StatusCode::OK,
            pages::password_set(&account.email, provider.issuer()),
        ),
        Err(InvitationRefused::Password(reason)) => again(&format!("Not set: {reason}.")),
        Err(InvitationRefused::Closed) => closed(),
        Err(InvitationRefused::Database(error)) => failure(error),
        Err(error) => failure(anyhow::Error::from(error)),
    }
}
