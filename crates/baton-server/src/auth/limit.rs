//! Sign-in throttling: password checks are deliberately expensive (Argon2id),
//! so they are bounded twice — a few at a time server-wide, and a handful of
//! failures per email before that email must wait.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Failures allowed per email within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Password checks running at once.
const CONCURRENT: usize = 4;
/// How long a sign-in waits for a free slot before giving up.
const QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Bound on remembered emails.
const MAX_TRACKED: usize = 100_000;

/// Per-email failure counts and a server-wide concurrency bound.
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    slots: Semaphore,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            slots: Semaphore::new(CONCURRENT),
        }
    }
}

fn too_many(message: &str) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
}

impl SignInLimiter {
    /// Refuse an email that failed too often lately.
    pub fn check(&self, email: &str) -> Result<(), ApiError> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&email.trim().to_lowercase()) {
            Some((n, since)) if *n >= MAX_FAILURES && since.elapsed() < WINDOW => Err(too_many(
                "too many failed sign-ins for this email: wait a few minutes",
            )),
            _ => Ok(()),
        }
    }

    /// Wait for a slot to check a password in.
    pub async fn slot(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(QUEUE_WAIT, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(too_many("too many sign-ins at once: try again shortly")),
        }
    }

    /// Count a failure.
    pub fn failed(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map
            .entry(email.trim().to_lowercase())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forget failures after a success.
    pub fn succeeded(&self, email: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&email.trim().to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_refused_after_repeated_failures_and_freed_by_success() {
        let l = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(l.check("a@example.com").is_ok());
            l.failed("A@example.com");
        }
        assert_eq!(l.check("a@example.com").map_err(|e| e.code), Err("rate_limited"));
        assert!(l.check("b@example.com").is_ok());
        l.succeeded("a@example.com");
        assert!(l.check("a@example.com").is_ok());
    }
}
