//! The one error type every backend returns.

use baton_core::DomainError;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The core refused the command (403/404/409/422).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database failed; never shown to clients in detail.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// Shorthand for a not-found refusal.
    pub fn not_found(what: &'static str) -> Self {
        StoreError::Domain(DomainError::not_found(what))
    }

    /// Shorthand for a conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Domain(DomainError::conflict(code, message))
    }

    /// Shorthand for invalid values.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Domain(DomainError::invalid(code, message))
    }

    /// The domain refusal inside, if any.
    pub fn domain(&self) -> Option<&DomainError> {
        match self {
            StoreError::Domain(d) => Some(d),
            StoreError::Database(_) => None,
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
