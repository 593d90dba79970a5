//! Probes for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode, Json};
use serde_json::{json, Value};

use db::Db;

/// `GET /healthz`: the process is up and serving.
pub async fn liveness() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers, so this instance can take traffic.
pub async fn readiness(State(db): State<Db>) -> (StatusCode, Json<Value>) {
    if db.ping().await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": db.backend().to_string() })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "database": db.backend().to_string(), "message": "the database does not answer" }),
            ),
        )
    }
}
