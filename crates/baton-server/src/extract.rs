//! Extractors whose failures answer in the API's error shape, so axum's
//! plain-text rejections never reach a client.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer, IgnoredAny};

/// A JSON body in, or a JSON response out.
///
/// Malformed JSON answers 400 `malformed_json`, always: the syntax is checked
/// on its own first, so a typo is never reported as a wrong field. Valid JSON
/// of the wrong shape (not an object, missing or unknown fields, wrong types)
/// answers 422 `invalid_body`; a body not declared as JSON 415.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
            } else {
                ApiError::bad_request("unreadable_body", e.body_text())
            }
        })?;
        if let Err(e) = serde_json::from_slice::<IgnoredAny>(&bytes) {
            return Err(ApiError::bad_request(
                "malformed_json",
                format!("the body is not valid JSON: {e}"),
            ));
        }
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid(
                "invalid_body",
                "the body must be a JSON object",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::invalid("invalid_body", e.body_text())),
            Err(e) => Err(ApiError::bad_request("malformed_json", e.body_text())),
        }
    }
}

/// `application/json` or any `application/*+json`, parameters allowed.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Typed ids from the path. Any id that does not parse answers 404: to a
/// client a malformed id names nothing, just like an unknown one. (Not named
/// `Path`, so utoipa does not try to document it on its own.)
#[derive(Debug, Clone, Copy)]
pub struct Id<T>(pub T);

impl<T, S> FromRequestParts<S> for Id<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Id(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource: the id in the path is not a valid id",
            )),
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// Query parameters; a value of the wrong type answers 422 `invalid_query`.
#[derive(Debug, Clone, Default)]
pub struct Params<T>(pub T);

impl<T, S> FromRequestParts<S> for Params<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Params(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(ApiError::invalid("invalid_query", e.body_text()))
            }
            Err(e) => Err(ApiError::invalid("invalid_query", e.body_text())),
        }
    }
}

/// For PATCH fields where `null` means "clear" and absence means "leave alone":
/// use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Parse a query word with `FromStr`, answering 422 with the parser's sentence.
pub fn parse_word<T>(raw: Option<&str>, code: &'static str) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.map(|s| s.parse::<T>().map_err(|e| ApiError::invalid(code, e.to_string())))
        .transpose()
}
