//! Sign in and sign out.

use super::auth::render;
use crate::auth::session;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

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

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// The email typed.
    pub email: String,
}

fn login_page(status: StatusCode, error: Option<&str>, email: &str) -> Response {
    render(
        status,
        &LoginPage {
            error: error.map(str::to_string),
            email: email.to_string(),
        },
    )
}

/// `GET /login`.
pub async fn login_form() -> Response {
    login_page(StatusCode::OK, None, "")
}

/// `POST /login`: sign in and go to `/`, or show the form again. (No CSRF
/// token yet: there is no session to bind it to; `SameSite=Lax` cookies and
/// the form-action policy cover login CSRF.)
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
