//! Web sessions: a random secret in an HttpOnly cookie (stored hashed, 12 h),
//! and a CSRF token derived from it that pages echo in `X-CSRF-Token`.

use super::password::verify_password;
use super::token::{hash_token, random_b64};
use crate::error::ApiError;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use baton_core::Email;
use baton_core::directory::User;
use chrono::Duration;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The session cookie.
pub const SESSION_COOKIE: &str = "baton_session";
/// The CSRF cookie (readable by page scripts, unlike the session).
pub const CSRF_COOKIE: &str = "baton_csrf";
/// The header cookie-authenticated changes must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a web session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The CSRF token of a session: derived from the secret, so a cookie planted
/// by another site (cookie tossing) cannot be paired with a forged header.
pub fn csrf_token(session_secret: &str) -> String {
    hex::encode(&Sha256::digest(format!("baton-csrf:{session_secret}").as_bytes())[..16])
}

/// Does `sent` equal the session's CSRF token? Compared in constant time.
pub fn csrf_matches(session_secret: &str, sent: &str) -> bool {
    let want = csrf_token(session_secret);
    want.len() == sent.len()
        && want
            .bytes()
            .zip(sent.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A new web session: its cookies (to set) and its CSRF token.
pub struct NewSession {
    /// `Set-Cookie` values.
    pub cookies: [HeaderValue; 2],
    /// The CSRF token pages must echo.
    pub csrf_token: String,
}

/// Check an email and password; any failure is the same 401, and an unknown
/// email costs as much time as a wrong password, so neither reveals who exists.
pub async fn check_password(state: &AppState, email: &str, password: &str) -> Result<User, ApiError> {
    let refused = || {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong email or password",
        )
    };
    state.sign_in.check(email)?;
    let creds = match Email::parse(email) {
        Ok(e) => state.store.credentials_by_email(&e).await?,
        Err(_) => None,
    };
    let (user, hash) = match creds {
        Some(c) => (Some(c.user), c.password_hash),
        None => (None, None),
    };
    let password = password.to_string();
    let _slot = state.sign_in.slot().await?;
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            verify_password(&password, dummy_hash());
            false
        }
    })
    .await
    .map_err(ApiError::internal)?;
    match user {
        Some(u) if ok && u.active => {
            state.sign_in.succeeded(email);
            Ok(u)
        }
        _ => {
            state.sign_in.failed(email);
            Err(refused())
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| super::password::hash_password("baton-dummy-password").unwrap_or_default())
}

/// Start a web session for `user`.
pub async fn start(state: &AppState, user: &User) -> Result<NewSession, ApiError> {
    let secret = random_b64(32);
    let expires = state.clock.now() + Duration::hours(SESSION_HOURS);
    state
        .store
        .create_web_session(user.id, &hash_token(&secret), expires)
        .await?;
    let csrf = csrf_token(&secret);
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let max_age = SESSION_HOURS * 3600;
    let session =
        format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    let csrf_cookie = format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age={max_age}{secure}");
    Ok(NewSession {
        cookies: [header_value(&session)?, header_value(&csrf_cookie)?],
        csrf_token: csrf,
    })
}

/// End the session named by the request's cookie, if any; returns the
/// `Set-Cookie` values that clear both cookies.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Result<[HeaderValue; 2], ApiError> {
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        let hash = hash_token(secret);
        state.store.delete_web_session(&hash).await?;
        state.auth.forget(&format!("s:{hash}"));
    }
    Ok([
        header_value(&format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        ))?,
        header_value(&format!("{CSRF_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0"))?,
    ])
}

fn header_value(s: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(s).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; baton_session=xyz; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, CSRF_COOKIE), None);
    }

    #[test]
    fn csrf_token_is_bound_to_the_session() {
        let t = csrf_token("secret-a");
        assert!(csrf_matches("secret-a", &t));
        assert!(!csrf_matches("secret-b", &t));
        assert!(!csrf_matches("secret-a", ""));
    }
}
