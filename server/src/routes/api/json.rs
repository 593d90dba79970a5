//! `ApiJson<T>`: axum's JSON extractor with its rejections turned into the API's one error
//! shape (400 malformed, 413 too large, 415 not JSON, 422 wrong fields).

use app::error::AppError;
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejected(rejection).into()),
        }
    }
}

fn rejected(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType {
            expected: "application/json".into(),
        },
        JsonRejection::JsonDataError(error) => AppError::Validation {
            field: "body".into(),
            message: error.body_text(),
        },
        JsonRejection::JsonSyntaxError(error) => AppError::BadRequest {
            message: error.body_text(),
        },
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge
        }
        other => AppError::BadRequest {
            message: other.body_text(),
        },
    }
}
