//! Reading typed values out of an agent's `settings` JSON, with errors that
//! name the field, so a misconfigured agent is reported, not guessed at.

use serde_json::{Map, Value};

/// A problem with an agent's settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    /// The settings are not a JSON object (or null).
    #[error("agent settings must be a JSON object")]
    NotAnObject,
    /// A required field is absent, null or empty.
    #[error("agent setting `{field}` is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong type or is out of range.
    #[error("agent setting `{field}` is invalid: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The settings object; `null` reads as an empty object (an agent with no settings).
pub(crate) fn object(settings: &Value) -> Result<Option<&Map<String, Value>>, SettingsError> {
    match settings {
        Value::Object(m) => Ok(Some(m)),
        Value::Null => Ok(None),
        _ => Err(SettingsError::NotAnObject),
    }
}

fn field<'a>(m: Option<&'a Map<String, Value>>, name: &str) -> Option<&'a Value> {
    m.and_then(|m| m.get(name)).filter(|v| !v.is_null())
}

/// An optional number within `min..=max`.
pub(crate) fn opt_f32(
    m: Option<&Map<String, Value>>,
    name: &'static str,
    min: f32,
    max: f32,
) -> Result<Option<f32>, SettingsError> {
    let Some(v) = field(m, name) else {
        return Ok(None);
    };
    let n = v.as_f64().ok_or_else(|| invalid(name, "must be a number"))? as f32;
    if !(min..=max).contains(&n) {
        return Err(invalid(name, format!("must be between {min} and {max}")));
    }
    Ok(Some(n))
}

/// An optional whole number within `min..=max`.
pub(crate) fn opt_u64(
    m: Option<&Map<String, Value>>,
    name: &'static str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, SettingsError> {
    let Some(v) = field(m, name) else {
        return Ok(None);
    };
    let n = v
        .as_u64()
        .ok_or_else(|| invalid(name, "must be a whole number"))?;
    if !(min..=max).contains(&n) {
        return Err(invalid(name, format!("must be between {min} and {max}")));
    }
    Ok(Some(n))
}

/// An optional boolean.
pub(crate) fn opt_bool(
    m: Option<&Map<String, Value>>,
    name: &'static str,
) -> Result<Option<bool>, SettingsError> {
    match field(m, name) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| invalid(name, "must be true or false")),
    }
}

/// An optional string; blank reads as absent.
pub(crate) fn opt_str<'a>(
    m: Option<&'a Map<String, Value>>,
    name: &'static str,
) -> Result<Option<&'a str>, SettingsError> {
    match field(m, name) {
        None => Ok(None),
        Some(v) => {
            let s = v.as_str().ok_or_else(|| invalid(name, "must be a string"))?;
            Ok(Some(s.trim()).filter(|s| !s.is_empty()))
        }
    }
}

/// A required, non-blank string.
pub(crate) fn req_str<'a>(
    m: Option<&'a Map<String, Value>>,
    name: &'static str,
) -> Result<&'a str, SettingsError> {
    opt_str(m, name)?.ok_or(SettingsError::Missing { field: name })
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        field,
        reason: reason.into(),
    }
}
