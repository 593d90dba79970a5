//! The HTTP layer's error: every REST failure becomes a status, a JSON body with a
//! machine-readable `error` and a human `message`, and for auth failures the RFC 6750
//! `WWW-Authenticate` challenge — in this one place.

use app::error::AppError;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A failure the caller may see as it is.
    #[error(transparent)]
    App(#[from] AppError),
    /// A bug or an outage: logged in full, answered with a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<app::domain::ValidationError> for ApiError {
    fn from(error: app::domain::ValidationError) -> ApiError {
        ApiError::App(error.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        if db::is_away(&error) {
            tracing::warn!(%error, "database unavailable");
            ApiError::App(AppError::Unavailable)
        } else {
            ApiError::Internal(error.into())
        }
    }
}

/// What a client may see of an error, for REST responses and server functions alike: an
/// internal failure is logged here, in full, and shows as the generic 500.
impl From<ApiError> for AppError {
    fn from(error: ApiError) -> AppError {
        match error {
            ApiError::App(error) => error,
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                AppError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        app_error_response(&self.into())
    }
}

/// The response for an [`AppError`] (shared with the embedded provider's JSON endpoints).
pub use provider::api_error::app_error_response;

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use super::*;

    /// A database error with a SQLSTATE, as PostgreSQL reports them.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Sqlstate(&'static str);

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "test"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn answer(code: &'static str) -> AppError {
        ApiError::from(sqlx::Error::Database(Box::new(Sqlstate(code)))).into()
    }

    #[test]
    fn a_database_going_away_is_unavailable_and_a_broken_query_is_internal() {
        // admin_shutdown, crash_shutdown, cannot_connect_now, connection_failure.
        for away in ["57P01", "57P02", "57P03", "08006"] {
            assert_eq!(answer(away), AppError::Unavailable, "{away}");
        }
        // syntax_error, unique_violation: our bug or a conflict to handle elsewhere.
        for broken in ["42601", "23505"] {
            assert_eq!(answer(broken), AppError::Internal, "{broken}");
        }
        assert_eq!(
            AppError::from(ApiError::from(sqlx::Error::PoolTimedOut)),
            AppError::Unavailable
        );
    }

    /// Another process holds SQLite's write lock past the busy timeout: retry later (503).
    #[tokio::test]
    async fn a_sqlite_file_locked_by_another_writer_is_unavailable() {
        use sqlx::{Connection, Executor};

        let busy = db::testing::sqlite_busy_error().await;
        assert_eq!(AppError::from(ApiError::from(busy)), AppError::Unavailable);

        // A broken statement on SQLite stays a 500.
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let broken = conn.execute("SELEC 1").await.unwrap_err();
        assert_eq!(AppError::from(ApiError::from(broken)), AppError::Internal);
    }
}
