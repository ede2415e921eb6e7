//! Who is using a page: the session cookie, checked on every request (so an
//! expired session or a deactivated user is signed out at once), and the CSRF
//! token every change must echo in `X-CSRF-Token` (htmx adds it from the
//! page's `<meta name="csrf-token">`).

use crate::auth::{Caller, Credential, authenticate, session, token::hash_token};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use baton_core::Action;

/// The signed-in user of a page request, with the page's CSRF token.
pub struct WebUser {
    /// The caller, as the JSON API knows it.
    pub caller: Caller,
    /// The token forms and htmx requests must send back.
    pub csrf: String,
}

impl WebUser {
    /// May this user do `action`? Templates hide controls when not.
    pub fn can(&self, action: Action) -> bool {
        self.caller.user.role.allows(action)
    }
}

/// Is this an htmx (or page script) request rather than a navigation?
pub fn is_script_request(parts_headers: &axum::http::HeaderMap) -> bool {
    parts_headers.contains_key("hx-request") || parts_headers.contains_key("x-baton-refresh")
}

/// "Sign in again": a redirect for navigations; for scripts a 401 that tells
/// htmx to go to the sign-in page.
fn sign_in_again(parts: &Parts) -> Response {
    if is_script_request(&parts.headers) || parts.method != Method::GET {
        let mut res = ApiError::unauthorized("your session has ended: sign in again").into_response();
        res.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/login"));
        res
    } else {
        Redirect::to("/login").into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(secret) = session::cookie(&parts.headers, session::SESSION_COOKIE) else {
            return Err(sign_in_again(parts));
        };
        let cred = Credential::Session(hash_token(secret));
        let user = match authenticate(state, &cred).await {
            Ok(Some(u)) => u,
            Ok(None) => return Err(sign_in_again(parts)),
            Err(e) => return Err(e.into_response()),
        };
        let csrf = session::csrf_token(secret);
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get(session::CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !session::csrf_matches(secret, sent) {
                return Err(
                    ApiError::forbidden("csrf", "this page is stale: reload it and try again")
                        .into_response(),
                );
            }
        }
        Ok(WebUser {
            caller: Caller {
                user,
                credential: cred,
            },
            csrf,
        })
    }
}

/// The security headers of every page.
pub fn harden(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Render a template as a hardened HTML page.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            harden(&mut res);
            res
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Answer to a successful htmx action: nothing to swap; the page refreshes
/// its live regions (the `baton-refresh` event), as it does for live events.
pub fn done() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert("hx-trigger", HeaderValue::from_static("baton-refresh"));
    res
}

/// Answer to a successful htmx action that leaves the page.
pub fn go_to(path: &str) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(path) {
        res.headers_mut().insert("hx-redirect", v);
    }
    res
}
