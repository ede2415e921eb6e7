//! Password sign-in for the web inbox: a session cookie plus a CSRF token.

use crate::auth::Caller;
use crate::auth::session;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::json::UserJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// Sign-in email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A started session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// Who signed in.
    pub user: UserJson,
    /// Send as `X-CSRF-Token` with every cookie-authenticated change (it is
    /// also in the `baton_csrf` cookie).
    pub csrf_token: String,
}

/// Sign in with email and password: sets the HttpOnly `baton_session` cookie
/// (12 hours) and the `baton_csrf` cookie.
#[utoipa::path(post, path = "/api/v1/auth/sign_in", tag = "auth", request_body = SignIn, security(()),
    responses((status = 200, description = "Signed in; cookies set", body = SignedIn),
        (status = 401, description = "Wrong email or password, or deactivated", body = ErrorBody)))]
pub async fn sign_in(State(state): State<AppState>, Json(body): Json<SignIn>) -> ApiResult<Response> {
    let user = session::check_password(&state, &body.email, &body.password).await?;
    let s = session::start(&state, &user).await?;
    let [a, b] = s.cookies;
    let body = SignedIn {
        user: user.into(),
        csrf_token: s.csrf_token,
    };
    Ok((
        AppendHeaders([(header::SET_COOKIE, a), (header::SET_COOKIE, b)]),
        Json(body),
    )
        .into_response())
}

/// End the web session and clear its cookies.
#[utoipa::path(post, path = "/api/v1/auth/sign_out", tag = "auth",
    responses((status = 204, description = "Signed out; cookies cleared"),
        (status = 403, description = "Cookie request without X-CSRF-Token", body = ErrorBody)))]
pub async fn sign_out(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let [a, b] = session::end(&state, &headers).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, a), (header::SET_COOKIE, b)]),
    )
        .into_response())
}
