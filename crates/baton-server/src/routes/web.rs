//! The minimal server-rendered pages: sign in, a signed-in landing page, and
//! sign out. (The inbox UI itself comes later.)

use crate::auth::{Credential, authenticate, session, token::hash_token};
use crate::error::ApiError;
use crate::export::escape_html;
use crate::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem;color:#1d2433}\
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}\
button{margin-top:1rem;padding:.5rem 1rem;font:inherit}.err{color:#b00020}";

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf_token: String,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t} · Baton</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        t = escape_html(title)
    );
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
    );
    res
}

fn login_page(status: StatusCode, error: Option<&str>, email: &str) -> Response {
    let err = error
        .map(|e| format!("<p class=\"err\" role=\"alert\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in to Baton</h1>{err}<form method=\"post\" action=\"/login\">\
         <label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" \
         autocomplete=\"username\" required autofocus value=\"{email}\">\
         <label for=\"password\">Password</label><input id=\"password\" name=\"password\" \
         type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>",
        email = escape_html(email)
    );
    page(status, "Sign in", &body)
}

/// `GET /login`.
pub async fn login_form() -> Response {
    login_page(StatusCode::OK, None, "")
}

/// `POST /login`: sign in and go to `/`, or show the form again.
pub async fn login_submit(
    State(state): State<AppState>,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_page(
            StatusCode::BAD_REQUEST,
            Some("Enter your email and password."),
            "",
        );
    };
    let user = match session::check_password(&state, &form.email, &form.password).await {
        Ok(u) => u,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return login_page(
                StatusCode::UNAUTHORIZED,
                Some("Wrong email or password."),
                &form.email,
            );
        }
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            return login_page(StatusCode::TOO_MANY_REQUESTS, Some(&e.message), &form.email);
        }
        Err(e) => return e.into_response(),
    };
    match session::start(&state, &user).await {
        Ok(s) => {
            let [a, b] = s.cookies;
            (
                AppendHeaders([(header::SET_COOKIE, a), (header::SET_COOKIE, b)]),
                Redirect::to("/"),
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /`: who is signed in (or off to `/login`).
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(secret) = session::cookie(&headers, session::SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let cred = Credential::Session(hash_token(secret));
    let user = match authenticate(&state, &cred).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return e.into_response(),
    };
    let workspace = match state.store.get_workspace(user.workspace_id).await {
        Ok(w) => w.name,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let body = format!(
        "<h1>Baton</h1><p>Signed in as <strong>{name}</strong> ({email}), {role} in {ws}.</p>\
         <p>The inbox is on its way; meanwhile the <a href=\"/api/v1/docs\">API reference</a> works.</p>\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <button type=\"submit\">Sign out</button></form>",
        name = escape_html(&user.name),
        email = escape_html(user.email.as_str()),
        role = user.role,
        ws = escape_html(&workspace),
        csrf = session::csrf_token(secret),
    );
    page(StatusCode::OK, "Home", &body)
}

/// `POST /logout`: the form carries the CSRF token a header would.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let secret = session::cookie(&headers, session::SESSION_COOKIE);
    let ok = match (secret, &form) {
        (Some(s), Ok(Form(f))) => session::csrf_matches(s, &f.csrf_token),
        (None, _) => true,
        _ => false,
    };
    if !ok {
        return ApiError::forbidden("csrf", "the sign-out form is stale: reload the page").into_response();
    }
    match session::end(&state, &headers).await {
        Ok([a, b]) => (
            AppendHeaders([(header::SET_COOKIE, a), (header::SET_COOKIE, b)]),
            Redirect::to("/login"),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
