//! The built-in agent: greeting, answers that name the article, handoffs.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_agents::builtin::CLARIFY;
use baton_agents::*;
use baton_core::directory::AgentRuntime;
use serde_json::{Value, json};
use std::sync::Arc;

fn agent() -> AgentConfig {
    AgentConfig::new("Ava", json!({"confidence_floor": 0.55}))
}

fn runtime() -> BuiltinRuntime {
    BuiltinRuntime::new(Arc::new(KnowledgeIndex::build(&common::help_center())))
}

fn ask(rt: &BuiltinRuntime, message: &str) -> AgentOutcome {
    rt.answer(&AgentRequest::reply(agent(), vec![], message))
}

fn handoff_reason(o: &AgentOutcome) -> &str {
    match &o.response {
        AgentResponse::Handoff { reason } => reason,
        other => panic!("expected a handoff, got {other:?}"),
    }
}

#[test]
fn greeting_introduces_the_agent() {
    let o = runtime().answer(&AgentRequest::greeting(agent()));
    let AgentResponse::Reply {
        text,
        confidence,
        sources,
    } = &o.response
    else {
        panic!("{o:?}")
    };
    assert!(text.starts_with("Hi! I'm Ava"), "{text}");
    assert!(text.ends_with("How can I help?"));
    assert_eq!(*confidence, 1.0);
    assert!(sources.is_empty());
}

#[test]
fn greeting_can_be_set_in_settings() {
    let cfg = AgentConfig::new("Ava", json!({"greeting": "Hello from {name}!"}));
    let o = runtime().answer(&AgentRequest::greeting(cfg));
    assert!(matches!(&o.response, AgentResponse::Reply { text, .. } if text == "Hello from Ava!"));
}

#[test]
fn builtin_reply_names_the_article_and_cites_it() {
    let o = ask(&runtime(), "How do I reset my password?");
    assert_eq!(o.runtime, AgentRuntime::Builtin);
    assert_eq!(o.error, None);
    let AgentResponse::Reply {
        text,
        confidence,
        sources,
    } = &o.response
    else {
        panic!("{o:?}")
    };
    assert!(
        text.starts_with("From our help article “Resetting your password”: "),
        "{text}"
    );
    assert!(text.contains("Forgot password"), "{text}");
    assert!(text.chars().count() <= 600 + 60);
    assert!(*confidence >= 0.55, "{confidence}");
    assert_eq!(
        sources,
        &[Source {
            id: "password".into(),
            title: "Resetting your password".into()
        }]
    );
}

#[test]
fn builtin_hands_off_when_the_contact_asks_for_a_human() {
    for msg in [
        "Can I talk to someone?",
        "Ich möchte einen Mitarbeiter",
        "atendente por favor",
    ] {
        let o = ask(&runtime(), msg);
        assert!(
            handoff_reason(&o).starts_with("contact asked for a human"),
            "{msg}: {o:?}"
        );
    }
}

#[test]
fn builtin_hands_off_when_no_article_scores_high_enough() {
    let o = ask(&runtime(), "Do you sell gift cards or vouchers?");
    let reason = handoff_reason(&o);
    assert!(
        reason.starts_with("no article matches the question well enough (best: "),
        "{reason}"
    );
}

#[test]
fn builtin_hands_off_with_an_empty_knowledge_base() {
    let rt = BuiltinRuntime::new(Arc::new(KnowledgeIndex::build(&[])));
    let reason = handoff_reason(&ask(&rt, "How do I get a refund?")).to_string();
    assert!(reason.contains("best: none"), "{reason}");
}

#[test]
fn min_confidence_setting_raises_the_bar() {
    let q = "refund of the shipping costs";
    assert!(matches!(ask(&runtime(), q).response, AgentResponse::Reply { .. }));
    let strict = AgentConfig::new("Ava", json!({"min_confidence": 0.99}));
    let o = runtime().answer(&AgentRequest::reply(strict, vec![], q));
    assert!(handoff_reason(&o).contains("needed 0.99"), "{o:?}");
}

#[test]
fn a_message_without_a_question_gets_one_clarifying_reply_then_a_handoff() {
    let rt = runtime();
    let o = ask(&rt, "hi!");
    assert!(matches!(&o.response, AgentResponse::Reply { text, .. } if text == CLARIFY));
    let history = vec![
        Turn::new(Speaker::Contact, "hi!"),
        Turn::new(Speaker::Agent, CLARIFY),
    ];
    let o = rt.answer(&AgentRequest::reply(agent(), history, "thanks"));
    assert!(handoff_reason(&o).contains("nothing to look up"));
}

#[test]
fn invalid_settings_hand_off_with_the_error() {
    let cfg = AgentConfig::new("Ava", json!({"min_confidence": "high"}));
    let o = runtime().answer(&AgentRequest::reply(cfg, vec![], "refund"));
    assert!(handoff_reason(&o).contains("min_confidence"));
    assert!(o.error.is_some());
}

#[tokio::test]
async fn the_runtime_trait_and_receipt_work_together() {
    let rt: Arc<dyn Runtime> = Arc::new(runtime());
    let outcome = rt
        .respond(&AgentRequest::reply(agent(), vec![], "How do I get a refund?"))
        .await;
    let floors = Floors::from_settings(&agent().settings).unwrap();

    let (decision, receipt) = outcome.decide(floors, ReplyMode::Auto);
    assert_eq!(decision, Decision::Send);
    let json: Value = serde_json::to_value(&receipt).unwrap();
    assert_eq!(json["runtime"], "builtin");
    assert_eq!(json["action"], "reply");
    assert_eq!(json["model"], Value::Null);
    assert_eq!(json["sources"][0]["id"], "refunds");
    assert!(json["confidence"].as_f64().unwrap() >= 0.55);

    let (decision, receipt) = outcome.decide(floors, ReplyMode::Draft);
    assert!(matches!(decision, Decision::Draft { .. }));
    assert_eq!(receipt.action, Action::Draft);
}

#[test]
fn runtime_for_picks_the_runtime_and_validates_settings() {
    use baton_core::directory::{Agent, HandoffMode};
    use baton_core::ids::{AgentId, WorkspaceId};
    use baton_core::time::{Clock, SystemClock};
    let now = SystemClock.now();
    let mut a = Agent {
        id: AgentId::new_v7(),
        workspace_id: WorkspaceId::new_v7(),
        name: "Ava".into(),
        runtime: AgentRuntime::Builtin,
        settings: json!({}),
        handoff_team_id: None,
        handoff_mode: HandoffMode::RoundRobin,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let kb = Arc::new(KnowledgeIndex::build(&common::help_center()));
    assert!(runtime_for(&a, kb.clone()).is_ok());
    a.runtime = AgentRuntime::Openai;
    let err = runtime_for(&a, kb.clone()).err().unwrap();
    assert!(err.to_string().contains("base_url"), "{err}");
    a.settings = json!({"base_url": "http://localhost:1/v1", "model": "m"});
    assert!(runtime_for(&a, kb).is_ok());
    assert!(
        validate_settings(
            AgentRuntime::Openai,
            &json!({"base_url": "ftp://x", "model": "m"})
        )
        .is_err()
    );
    assert!(validate_settings(AgentRuntime::Builtin, &json!({"confidence_floor": 2})).is_err());
}
