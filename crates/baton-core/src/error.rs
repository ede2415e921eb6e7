//! Why the core refused a command.

use crate::role::Action;

/// A refusal, with a stable snake_case code and a human sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The actor's role may not do this (HTTP 403).
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// A referenced thing does not exist in this workspace (HTTP 404).
    #[error("{what} not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
    },
    /// The command does not fit the current state (HTTP 409).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// The values are not acceptable (HTTP 422).
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
}

impl DomainError {
    /// The refusal for a role that may not do `action`.
    pub fn forbidden(action: Action) -> Self {
        DomainError::Forbidden {
            code: "forbidden",
            message: format!("your role may not {}", action.phrase()),
        }
    }

    /// A state conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        DomainError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// Invalid values.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// Unknown (or foreign) reference.
    pub fn not_found(what: &'static str) -> Self {
        DomainError::NotFound { what }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Forbidden { code, .. }
            | DomainError::Conflict { code, .. }
            | DomainError::Invalid { code, .. } => code,
            DomainError::NotFound { .. } => "not_found",
        }
    }
}
