//! `/api/people`: the embedded provider's people, with `manage:people`. Someone new is
//! invited (a one-time link to choose their password), never given a password by the
//! admin. With an external provider these answer 403: people are managed there.

use app::admin::{Invitation, NewPerson, Person, RoleChange};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{
    auth::AuthUser,
    error::ApiError,
    services::{Operator, ServerServices},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, invite))
        .routes(routes!(reinvite))
        .routes(routes!(disable))
        .routes(routes!(enable))
        .routes(routes!(change_role))
}

/// Everyone who signs in at the embedded provider, by email, with role and status
/// (`active`, `invited`: no password chosen yet, `disabled`).
#[utoipa::path(
    get, path = "/api/people", tag = "people",
    responses(
        (status = 200, description = "Everyone", body = Vec<Person>),
        (status = 403, description = "No manage:people, or an external provider signs people in", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn list(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Person>>, ApiError> {
    Ok(Json(services.people(Operator::User(&user)).await?))
}

/// Add a person and get the one-time link (valid 7 days) that lets them choose their
/// password. Send it to them; it is shown once and only its hash is stored.
#[utoipa::path(
    post, path = "/api/people", tag = "people",
    request_body = NewPerson,
    responses(
        (status = 201, description = "Added and invited", body = Invitation),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "No manage:people, or an external provider signs people in", body = ErrorBody),
        (status = 409, description = "The email has an account", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn invite(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    let invitation = services.invite_person(Operator::User(&user), &body).await?;
    Ok((StatusCode::CREATED, Json(invitation)))
}

/// A new one-time link for someone (their invitation expired, or they forgot their
/// password); their older links stop working.
#[utoipa::path(
    post, path = "/api/people/{id}/invitation", tag = "people",
    params(("id" = String, Path, description = "The person's subject")),
    responses(
        (status = 200, description = "A new link", body = Invitation),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "The person is disabled", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn reinvite(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Invitation>, ApiError> {
    Ok(Json(
        services.reinvite_person(Operator::User(&user), &id).await?,
    ))
}

/// Stop someone from signing in: their sign-ins end now (their last access token lives
/// out its minutes). Nobody disables themselves.
#[utoipa::path(
    post, path = "/api/people/{id}/disable", tag = "people",
    params(("id" = String, Path, description = "The person's subject")),
    responses(
        (status = 200, description = "The disabled person", body = Person),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "One's own account", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn disable(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Person>, ApiError> {
    Ok(Json(
        services
            .set_person_disabled(Operator::User(&user), &id, true)
            .await?,
    ))
}

/// Let a disabled person sign in again.
#[utoipa::path(
    post, path = "/api/people/{id}/enable", tag = "people",
    params(("id" = String, Path, description = "The person's subject")),
    responses(
        (status = 200, description = "The enabled person", body = Person),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "One's own account", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn enable(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Person>, ApiError> {
    Ok(Json(
        services
            .set_person_disabled(Operator::User(&user), &id, false)
            .await?,
    ))
}

/// Give someone another role (employee, contractor, manager, admin). Their sign-ins end,
/// so the new role's scopes apply from their next sign-in. Nobody changes their own role.
#[utoipa::path(
    put, path = "/api/people/{id}/role", tag = "people",
    params(("id" = String, Path, description = "The person's subject")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The person with the new role", body = Person),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "One's own account", body = ErrorBody),
        (status = 422, description = "Not a role", body = ErrorBody),
    ),
    security(("bearer" = ["manage:people"])),
)]
async fn change_role(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<Person>, ApiError> {
    Ok(Json(
        services
            .set_person_role(Operator::User(&user), &id, &body.role)
            .await?,
    ))
}
