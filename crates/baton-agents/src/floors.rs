//! Confidence floors and the channel's reply mode: what happens to an AI answer.
//!
//! Pure, so the worker and the UI ("why was this drafted?") agree.

use crate::runtime::{Action, AgentResponse};
use crate::settings::{SettingsError, invalid, object, opt_f32};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// An agent's confidence floors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Floors {
    /// Below this, an `auto` reply becomes a draft (setting `confidence_floor`, default 0.55).
    pub confidence_floor: f32,
    /// Below this, the agent hands off (setting `handoff_floor`, default 0.25).
    pub handoff_floor: f32,
}

impl Default for Floors {
    fn default() -> Self {
        Self {
            confidence_floor: 0.55,
            handoff_floor: 0.25,
        }
    }
}

impl Floors {
    /// Floors from the agent's settings (`confidence_floor`, `handoff_floor`,
    /// each 0..=1, the handoff floor not above the confidence floor); absent
    /// fields take the defaults.
    pub fn from_settings(settings: &Value) -> Result<Self, SettingsError> {
        let m = object(settings)?;
        let d = Self::default();
        let confidence_floor = opt_f32(m, "confidence_floor", 0.0, 1.0)?.unwrap_or(d.confidence_floor);
        let handoff_floor =
            opt_f32(m, "handoff_floor", 0.0, 1.0)?.unwrap_or(d.handoff_floor.min(confidence_floor));
        if handoff_floor > confidence_floor {
            return Err(invalid(
                "handoff_floor",
                format!("must not be above confidence_floor ({confidence_floor})"),
            ));
        }
        Ok(Self {
            confidence_floor,
            handoff_floor,
        })
    }
}

/// A channel's reply mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// The agent sends.
    Auto,
    /// The agent drafts, a human sends.
    Draft,
    /// The agent neither sends nor drafts.
    Off,
}

impl ReplyMode {
    /// The API word.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyMode::Auto => "auto",
            ReplyMode::Draft => "draft",
            ReplyMode::Off => "off",
        }
    }
}

impl fmt::Display for ReplyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a reply mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown reply mode {0:?} (expected auto, draft or off)")]
pub struct UnknownReplyMode(pub String);

impl FromStr for ReplyMode {
    type Err = UnknownReplyMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(ReplyMode::Auto),
            "draft" => Ok(ReplyMode::Draft),
            "off" => Ok(ReplyMode::Off),
            _ => Err(UnknownReplyMode(s.to_string())),
        }
    }
}

/// What to do with an AI answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send the reply to the contact.
    Send,
    /// Save the reply as a draft for a human.
    Draft {
        /// Why it is not sent.
        reason: String,
    },
    /// Hand the conversation to humans.
    Handoff {
        /// Why.
        reason: String,
    },
    /// Do nothing with the reply (reply mode `off`).
    Withhold,
}

impl Decision {
    /// The receipt's action for this decision (`Send` is the action `reply`).
    pub fn action(&self) -> Action {
        match self {
            Decision::Send => Action::Reply,
            Decision::Draft { .. } => Action::Draft,
            Decision::Handoff { .. } => Action::Handoff,
            Decision::Withhold => Action::Withheld,
        }
    }

    /// Why the reply was not simply sent.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Decision::Draft { reason } | Decision::Handoff { reason } => Some(reason),
            Decision::Send | Decision::Withhold => None,
        }
    }
}

/// Decide on a reply of the given confidence:
///
/// 1. below the handoff floor: hand off, whatever the mode (an answer that
///    unsure should not wait in the AI queue; a non-finite confidence counts as 0);
/// 2. mode `off`: withhold;
/// 3. mode `draft`, or below the confidence floor: draft;
/// 4. otherwise send.
pub fn apply_floors(confidence: f32, floors: Floors, mode: ReplyMode) -> Decision {
    let c = if confidence.is_finite() { confidence } else { 0.0 };
    if c < floors.handoff_floor {
        return Decision::Handoff {
            reason: format!(
                "answer confidence {c:.2} is below the agent's handoff floor {:.2}",
                floors.handoff_floor
            ),
        };
    }
    match mode {
        ReplyMode::Off => Decision::Withhold,
        ReplyMode::Draft => Decision::Draft {
            reason: "the channel's reply mode is draft".into(),
        },
        ReplyMode::Auto if c < floors.confidence_floor => Decision::Draft {
            reason: format!(
                "answer confidence {c:.2} is below the agent's floor {:.2}",
                floors.confidence_floor
            ),
        },
        ReplyMode::Auto => Decision::Send,
    }
}

/// Decide on a runtime's response: a handoff stays a handoff in every mode (the
/// contact asked for a person, or the runtime could not answer); a reply goes
/// through [`apply_floors`].
pub fn decide(response: &AgentResponse, floors: Floors, mode: ReplyMode) -> Decision {
    match response {
        AgentResponse::Handoff { reason } => Decision::Handoff {
            reason: reason.clone(),
        },
        AgentResponse::Reply { confidence, .. } => apply_floors(*confidence, floors, mode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn confident_auto_reply_is_sent() {
        assert_eq!(
            apply_floors(0.9, Floors::default(), ReplyMode::Auto),
            Decision::Send
        );
        assert_eq!(
            apply_floors(0.55, Floors::default(), ReplyMode::Auto),
            Decision::Send
        );
    }

    #[test]
    fn auto_reply_below_the_floor_becomes_a_draft() {
        let d = apply_floors(0.4, Floors::default(), ReplyMode::Auto);
        assert_eq!(d.action(), Action::Draft);
        assert!(
            d.reason()
                .is_some_and(|r| r.contains("0.40") && r.contains("0.55"))
        );
    }

    #[test]
    fn reply_below_the_handoff_floor_hands_off_in_every_mode() {
        for mode in [ReplyMode::Auto, ReplyMode::Draft, ReplyMode::Off] {
            assert_eq!(
                apply_floors(0.1, Floors::default(), mode).action(),
                Action::Handoff
            );
        }
        assert_eq!(
            apply_floors(f32::NAN, Floors::default(), ReplyMode::Auto).action(),
            Action::Handoff
        );
    }

    #[test]
    fn draft_mode_drafts_even_confident_replies() {
        assert_eq!(
            apply_floors(0.99, Floors::default(), ReplyMode::Draft).action(),
            Action::Draft
        );
    }

    #[test]
    fn off_mode_withholds_replies_but_keeps_handoffs() {
        assert_eq!(
            apply_floors(0.99, Floors::default(), ReplyMode::Off),
            Decision::Withhold
        );
        let h = AgentResponse::Handoff {
            reason: "asked".into(),
        };
        assert_eq!(
            decide(&h, Floors::default(), ReplyMode::Off).action(),
            Action::Handoff
        );
    }

    #[test]
    fn floors_are_read_from_settings() {
        let f = Floors::from_settings(&json!({"confidence_floor": 0.7, "handoff_floor": 0.3})).unwrap();
        assert_eq!(f.confidence_floor, 0.7);
        assert_eq!(f.handoff_floor, 0.3);
        assert_eq!(Floors::from_settings(&Value::Null).unwrap(), Floors::default());
        // A confidence floor under the default handoff floor pulls the handoff floor down.
        assert_eq!(
            Floors::from_settings(&json!({"confidence_floor": 0.1}))
                .unwrap()
                .handoff_floor,
            0.1
        );
    }

    #[test]
    fn invalid_floors_are_reported_by_field() {
        let e = Floors::from_settings(&json!({"confidence_floor": "high"})).unwrap_err();
        assert!(e.to_string().contains("confidence_floor"));
        let e = Floors::from_settings(&json!({"confidence_floor": 0.3, "handoff_floor": 0.5})).unwrap_err();
        assert!(e.to_string().contains("handoff_floor"));
        assert!(Floors::from_settings(&json!({"confidence_floor": 1.5})).is_err());
        assert!(Floors::from_settings(&json!([1])).is_err());
    }

    #[test]
    fn reply_modes_parse_from_their_words() {
        for m in [ReplyMode::Auto, ReplyMode::Draft, ReplyMode::Off] {
            assert_eq!(m.as_str().parse::<ReplyMode>(), Ok(m));
        }
        assert!("sometimes".parse::<ReplyMode>().is_err());
    }
}
