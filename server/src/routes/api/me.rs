//! `GET /api/me`: whom the API sees behind a token.

use app::auth::User;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{auth::AuthUser, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// Who the token speaks for, and which of the API's scopes it grants.
#[utoipa::path(
    get, path = "/api/me", tag = "account",
    responses((status = 200, description = "The signed-in user", body = User)),
    security(("bearer" = [])),
)]
async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}
