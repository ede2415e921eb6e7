//! The candidate list of a routing explanation, as stored and as shown.
//!
//! The API shows every candidate as `{"user_id", "eligible", "reason"}`. A
//! team of fifty made that 6.7 KB per routed message, nearly all of it the
//! same verdict fifty times ("eligible, not next in rotation"), written with
//! every inbound message and built, copied and serialized as fifty JSON
//! objects on the writer's path. Explanations are therefore built and stored
//! as runs: consecutive candidates with the same verdict share one entry,
//! `"candidate_runs": [{"eligible", "reason", "user_ids": [..]}]`, and
//! [`expand`] turns that back into `candidates`, in the same order, when an
//! event is read.

use super::pick::CandidateNote;
use serde_json::{Map, Value};

/// The key of the stored form.
pub const RUNS: &str = "candidate_runs";
/// The key of the shown form.
pub const CANDIDATES: &str = "candidates";

/// Candidates as runs of the same verdict, in order.
///
/// This runs for every routed message, over the whole team: ids are encoded
/// straight into their strings (not through `Display`'s formatter) and each
/// run's list is moved into its object, not copied by `json!`.
pub fn runs(notes: &[CandidateNote]) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let mut i = 0;
    while i < notes.len() {
        let first = &notes[i];
        let mut ids = Vec::new();
        while i < notes.len() && notes[i].eligible == first.eligible && notes[i].reason == first.reason {
            let mut buf = uuid::Uuid::encode_buffer();
            ids.push(Value::String(
                notes[i].user_id.0.hyphenated().encode_lower(&mut buf).to_owned(),
            ));
            i += 1;
        }
        let mut run = Map::new();
        run.insert("eligible".into(), Value::Bool(first.eligible));
        run.insert("reason".into(), Value::String(first.reason.clone()));
        run.insert("user_ids".into(), Value::Array(ids));
        out.push(Value::Object(run));
    }
    Value::Array(out)
}

/// Replace an explanation's `candidate_runs` with the `candidates` list the
/// API shows. Explanations stored before runs existed, and those without
/// candidates, are left as they are.
pub fn expand(explanation: &mut Value) {
    let Some(obj) = explanation.as_object_mut() else {
        return;
    };
    let Some(Value::Array(runs)) = obj.remove(RUNS) else {
        return;
    };
    let mut candidates = Vec::new();
    for run in runs {
        let (eligible, reason) = (run["eligible"].clone(), run["reason"].clone());
        if let Some(ids) = run.get("user_ids").and_then(Value::as_array) {
            for id in ids {
                let mut c = Map::new();
                c.insert("user_id".into(), id.clone());
                c.insert("eligible".into(), eligible.clone());
                c.insert("reason".into(), reason.clone());
                candidates.push(Value::Object(c));
            }
        }
    }
    obj.insert(CANDIDATES.into(), Value::Array(candidates));
}

/// [`expand`] the explanation an event's data carries (`data.routing`), if any.
pub fn expand_event_data(data: &mut Value) {
    if let Some(x) = data.get_mut("routing") {
        expand(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use serde_json::json;

    fn note(eligible: bool, reason: &str) -> CandidateNote {
        CandidateNote {
            user_id: UserId::new_v7(),
            eligible,
            reason: reason.into(),
        }
    }

    #[test]
    fn runs_expand_to_every_candidate_in_order() {
        let notes = vec![
            note(true, "not next in rotation"),
            note(true, "not next in rotation"),
            note(true, "chosen"),
            note(false, "away"),
            note(true, "not next in rotation"),
        ];
        let stored = runs(&notes);
        assert_eq!(stored.as_array().map(Vec::len), Some(4), "{stored}");
        let mut x = json!({"rule_name": "rr", RUNS: stored});
        expand(&mut x);
        assert!(x.get(RUNS).is_none());
        let shown: Vec<CandidateNote> = serde_json::from_value(x[CANDIDATES].clone()).unwrap();
        assert_eq!(shown, notes);
    }

    #[test]
    fn explanations_without_runs_are_left_alone() {
        let old = json!({"candidates": [{"user_id": "u", "eligible": false, "reason": "away"}]});
        let mut x = old.clone();
        expand(&mut x);
        assert_eq!(x, old);
        let mut data = json!({"message_id": "m"});
        expand_event_data(&mut data);
        assert_eq!(data, json!({"message_id": "m"}));
    }

    #[test]
    fn no_candidates_expand_to_an_empty_list() {
        let mut x = json!({RUNS: runs(&[])});
        expand(&mut x);
        assert_eq!(x[CANDIDATES], json!([]));
    }
}
