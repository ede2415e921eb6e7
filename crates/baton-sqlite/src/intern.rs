//! Routing explanations stored with their repeated parts interned.
//!
//! Every routed message records an explanation: each rule skipped and why,
//! and every candidate of the team. For a team of fifty behind ten rules
//! that was about 3.4 KB per message, nearly all of it the same from one
//! message to the next: the team's member ids in roster order, and the
//! skipped rules with their reasons. Events then lived in a `WITHOUT ROWID`
//! table, whose rows spill past about 1 KB onto an overflow page of their
//! own, so each routed message wrote a whole extra page (a tenth of every
//! commit). They are in a rowid table since migration 0013, where the limit
//! is about 4 KB, but an event a tenth the size still costs a tenth the log.
//!
//! The writer therefore stores those two parts once each in `interned`
//! (migration 0012) and the event refers to them: the candidate runs keep
//! their verdicts and a count (`"n"`), the ids of all runs together become
//! `"candidate_ids": {"interned": ID}`, and `"skipped_rules"` becomes
//! `{"interned": ID}`. Reads put them back ([`inflate`]) before the runs are
//! expanded for the API, so what a reader sees is exactly what was routed.
//! Parts shorter than [`MIN_LEN`] stay inline, and explanations written
//! before this change are read as they are.

use crate::rows::db_err;
use baton_store::StoreResult as R;
use rusqlite::{Connection, OptionalExtension, params};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Parts at least this long (as JSON text) are interned.
pub const MIN_LEN: usize = 256;

const INTERNED: &str = "interned";
const IDS: &str = "candidate_ids";
const RUNS: &str = baton_core::routing::explain::RUNS;
const SKIPPED: &str = "skipped_rules";

/// The writer's map from interned text to its id. It may only hold ids
/// whose rows are committed or written by the running transaction: the
/// writer drops it whenever a job or a group is rolled back.
pub type Interned = HashMap<String, i64>;

/// The stored form of an event's data: `Some(text)` when its routing
/// explanation had parts to intern, `None` to store `data` as it is.
///
/// This runs for every routed message: the stored text is written straight
/// from the borrowed explanation (no copy of it is built).
pub fn compact(conn: &Connection, known: &mut Interned, data: &Value) -> R<Option<String>> {
    let (Some(fields), Some(routing)) = (data.as_object(), data.get("routing").and_then(Value::as_object))
    else {
        return Ok(None);
    };
    let mut ids = None;
    if let Some(Value::Array(runs)) = routing.get(RUNS)
        && runs
            .iter()
            .all(|r| r.get("user_ids").is_some_and(Value::is_array))
    {
        let all: Vec<&Value> = runs
            .iter()
            .filter_map(|r| r.get("user_ids").and_then(Value::as_array))
            .flatten()
            .collect();
        let text = to_text(&all)?;
        if text.len() >= MIN_LEN {
            ids = Some(intern(conn, known, text)?);
        }
    }
    let mut skipped = None;
    if let Some(list @ Value::Array(_)) = routing.get(SKIPPED) {
        let text = to_text(list)?;
        if text.len() >= MIN_LEN {
            skipped = Some(intern(conn, known, text)?);
        }
    }
    if ids.is_none() && skipped.is_none() {
        return Ok(None);
    }
    let routing = StoredRouting {
        routing,
        ids,
        skipped,
    };
    to_text(&StoredData { fields, routing }).map(Some)
}

fn to_text(v: &impl Serialize) -> R<String> {
    serde_json::to_string(v).map_err(|e| baton_store::StoreError::Database(e.to_string()))
}

/// An event's data with its routing explanation in stored form.
struct StoredData<'a> {
    fields: &'a Map<String, Value>,
    routing: StoredRouting<'a>,
}

impl Serialize for StoredData<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.fields {
            if k == "routing" {
                m.serialize_entry(k, &self.routing)?;
            } else {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

/// A routing explanation with its interned parts replaced by references.
struct StoredRouting<'a> {
    routing: &'a Map<String, Value>,
    ids: Option<i64>,
    skipped: Option<i64>,
}

impl Serialize for StoredRouting<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.routing {
            match (k.as_str(), v, self.ids, self.skipped) {
                (RUNS, Value::Array(runs), Some(_), _) => m.serialize_entry(k, &CountedRuns(runs))?,
                (SKIPPED, _, _, Some(id)) => m.serialize_entry(k, &Ref(id))?,
                _ => m.serialize_entry(k, v)?,
            }
        }
        if let Some(id) = self.ids {
            m.serialize_entry(IDS, &Ref(id))?;
        }
        m.end()
    }
}

/// Candidate runs with a count in place of their ids.
struct CountedRuns<'a>(&'a [Value]);

impl Serialize for CountedRuns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for run in self.0 {
            seq.serialize_element(&CountedRun(run))?;
        }
        seq.end()
    }
}

struct CountedRun<'a>(&'a Value);

impl Serialize for CountedRun<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(run) = self.0.as_object() {
            for (k, v) in run {
                if k == "user_ids" {
                    m.serialize_entry("n", &v.as_array().map_or(0, Vec::len))?;
                } else {
                    m.serialize_entry(k, v)?;
                }
            }
        }
        m.end()
    }
}

/// `{"interned": id}`.
struct Ref(i64);

impl Serialize for Ref {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(INTERNED, &self.0)?;
        m.end()
    }
}

/// Put interned parts of a stored explanation back (the inverse of
/// [`compact`]); data without any is left as it is.
pub fn inflate(conn: &Connection, data: &mut Value) -> R<()> {
    let Some(routing) = data.get_mut("routing").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    if let Some(id) = routing.get(SKIPPED).and_then(referenced) {
        routing.insert(SKIPPED.into(), lookup(conn, id)?);
    }
    let Some(id) = routing.get(IDS).and_then(referenced) else {
        return Ok(());
    };
    let ids = match lookup(conn, id)? {
        Value::Array(ids) => ids,
        _ => return Err(corrupt(id)),
    };
    routing.remove(IDS);
    let mut ids = ids.into_iter();
    if let Some(Value::Array(runs)) = routing.get_mut(RUNS) {
        for run in runs.iter_mut().filter_map(Value::as_object_mut) {
            let n = run.remove("n").and_then(|n| n.as_u64()).unwrap_or(0);
            let taken: Vec<Value> = ids.by_ref().take(usize::try_from(n).unwrap_or(0)).collect();
            if taken.len() as u64 != n {
                return Err(corrupt(id));
            }
            run.insert("user_ids".into(), Value::Array(taken));
        }
    }
    Ok(())
}

fn referenced(v: &Value) -> Option<i64> {
    let m = v.as_object()?;
    if m.len() != 1 {
        return None;
    }
    m.get(INTERNED)?.as_i64()
}

fn intern(conn: &Connection, known: &mut Interned, text: String) -> R<i64> {
    if let Some(id) = known.get(&text) {
        return Ok(*id);
    }
    conn.prepare_cached("INSERT INTO interned (body) VALUES (?1) ON CONFLICT (body) DO NOTHING")
        .and_then(|mut s| s.execute(params![text]))
        .map_err(db_err)?;
    let id: i64 = conn
        .prepare_cached("SELECT id FROM interned WHERE body = ?1")
        .and_then(|mut s| s.query_row(params![text], |r| r.get(0)))
        .map_err(db_err)?;
    known.insert(text, id);
    Ok(id)
}

fn lookup(conn: &Connection, id: i64) -> R<Value> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM interned WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(db_err)?;
    let body = body.ok_or_else(|| corrupt(id))?;
    serde_json::from_str(&body).map_err(|_| corrupt(id))
}

fn corrupt(id: i64) -> baton_store::StoreError {
    baton_store::StoreError::Database(format!(
        "routing explanation refers to missing or bad interned part {id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../migrations/0012_interned.sql"))
            .unwrap();
        conn
    }

    fn team(n: usize) -> Vec<String> {
        (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect()
    }

    /// Nine rules, skipped for their keywords.
    fn skipped() -> Vec<Value> {
        (0..9)
            .map(|i| json!({"rule_id": format!("0192f0aa-0000-7000-8000-00000000000{i}"), "rule_name": format!("never {i}"), "reason": format!("message does not contain \"zz-{i}\"")}))
            .collect()
    }

    fn explanation(ids: &[String], chosen: usize) -> Value {
        let skipped = skipped();
        json!({"routing": {
            "action": "round_robin",
            "rule_name": "everyone",
            "candidate_runs": [
                {"eligible": true, "reason": "not next in rotation", "user_ids": ids[..chosen]},
                {"eligible": true, "reason": "chosen", "user_ids": [ids[chosen]]},
                {"eligible": false, "reason": "away", "user_ids": ids[chosen + 1..]},
            ],
            "skipped_rules": skipped,
        }, "message_id": "m"})
    }

    #[test]
    fn a_large_explanation_round_trips_through_its_stored_form() {
        let conn = db();
        let mut known = Interned::new();
        let ids = team(50);
        for chosen in [0, 17, 48] {
            let data = explanation(&ids, chosen);
            let stored = compact(&conn, &mut known, &data).unwrap().expect("interned");
            assert!(stored.len() < 600, "{} bytes: {stored}", stored.len());
            let mut back: Value = serde_json::from_str(&stored).unwrap();
            inflate(&conn, &mut back).unwrap();
            assert_eq!(back, data);
        }
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM interned", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            rows, 2,
            "one id list and one skipped-rules list, shared by all three"
        );
    }

    #[test]
    fn parts_are_found_again_after_the_writer_forgot_them() {
        let conn = db();
        let ids = team(50);
        let data = explanation(&ids, 3);
        let first = compact(&conn, &mut Interned::new(), &data).unwrap();
        let again = compact(&conn, &mut Interned::new(), &data).unwrap();
        assert_eq!(first, again);
    }

    #[test]
    fn small_and_old_explanations_stay_as_they_are() {
        let conn = db();
        let small = json!({"routing": {"candidate_runs": [{"eligible": true, "reason": "chosen", "user_ids": ["u"]}], "skipped_rules": []}});
        assert_eq!(compact(&conn, &mut Interned::new(), &small).unwrap(), None);
        let old =
            json!({"routing": {"candidates": [{"user_id": "u", "eligible": true, "reason": "chosen"}]}});
        let mut read = old.clone();
        inflate(&conn, &mut read).unwrap();
        assert_eq!(read, old);
        assert_eq!(
            compact(&conn, &mut Interned::new(), &json!({"message_id": "m"})).unwrap(),
            None
        );
    }

    #[test]
    fn a_missing_part_is_an_error_not_an_empty_list() {
        let conn = db();
        let mut data = json!({"routing": {"candidate_runs": [{"eligible": true, "reason": "chosen", "n": 1}], "candidate_ids": {"interned": 99}}});
        let err = inflate(&conn, &mut data).unwrap_err();
        assert!(err.to_string().contains("99"), "{err}");
    }
}
