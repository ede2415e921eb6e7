//! Authentication: API tokens (`Authorization: Bearer`), password sign-in and
//! web session cookies with CSRF protection. Permission checks themselves are
//! the core's (`Role::allows`); this module only establishes who is calling.

pub mod cache;
pub mod limit;
pub mod password;
pub mod session;
pub mod token;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use baton_core::directory::User;
use baton_core::{Action, Actor, DomainError, WorkspaceId};
use std::sync::Arc;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token; holds its SHA-256 digest.
    Token(String),
    /// A web session cookie; holds its SHA-256 digest.
    Session(String),
}

impl Credential {
    fn cache_key(&self) -> String {
        match self {
            Credential::Token(h) => format!("t:{h}"),
            Credential::Session(h) => format!("s:{h}"),
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user (always active).
    pub user: Arc<User>,
    /// The credential used.
    pub credential: Credential,
}

impl Caller {
    /// The caller's workspace: every store call is scoped to it.
    pub fn ws(&self) -> WorkspaceId {
        self.user.workspace_id
    }

    /// The caller as the author of commands and events.
    pub fn actor(&self) -> Actor {
        Actor::User {
            id: self.user.id,
            role: self.user.role,
        }
    }

    /// Refuse with 403 unless the caller's role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.user.role.allows(action) {
            Ok(())
        } else {
            Err(DomainError::forbidden(action).into())
        }
    }
}

/// The user a credential belongs to, through the short-lived cache.
pub async fn authenticate(state: &AppState, cred: &Credential) -> Result<Option<Arc<User>>, ApiError> {
    let key = cred.cache_key();
    if let Some(user) = state.auth.get(&key) {
        return Ok(Some(user));
    }
    let user = match cred {
        Credential::Token(hash) => state.store.user_by_token_hash(hash).await?,
        Credential::Session(hash) => state.store.user_by_web_session(hash, state.clock.now()).await?,
    };
    // The store answers only for active users; check again so a backend that
    // forgets cannot let a deactivated user in.
    let user = user.filter(|u| u.active).map(Arc::new);
    if let Some(u) = &user {
        state.auth.put(key, u.clone());
    }
    Ok(user)
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthorized("use `Authorization: Bearer <token>`"))?;
            let cred = Credential::Token(token::hash_token(token));
            let user = authenticate(state, &cred).await?.ok_or_else(|| {
                ApiError::unauthorized("the token is invalid, revoked or its user deactivated")
            })?;
            return Ok(Caller {
                user,
                credential: cred,
            });
        }
        if let Some(secret) = session::cookie(&parts.headers, session::SESSION_COOKIE) {
            let cred = Credential::Session(token::hash_token(secret));
            let user = authenticate(state, &cred)
                .await?
                .ok_or_else(|| ApiError::unauthorized("the session has expired: sign in again"))?;
            // Cookies ride along on cross-site requests; a header cannot.
            if is_unsafe(&parts.method) {
                let sent = parts
                    .headers
                    .get(session::CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !session::csrf_matches(secret, sent) {
                    return Err(ApiError::forbidden(
                        "csrf",
                        "cookie-authenticated changes need the X-CSRF-Token header (the baton_csrf cookie)",
                    ));
                }
            }
            return Ok(Caller {
                user,
                credential: cred,
            });
        }
        Err(ApiError::unauthorized(
            "sign in: send `Authorization: Bearer <token>` or a session cookie",
        ))
    }
}
