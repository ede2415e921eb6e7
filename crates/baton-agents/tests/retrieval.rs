//! BM25F ranking, tokenisation effects and the confidence scale.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_agents::{Article, Bm25Params, KnowledgeIndex};
use common::help_center;
use proptest::prelude::*;

fn top(index: &KnowledgeIndex, q: &str) -> String {
    index
        .search(q, 3)
        .first()
        .map(|h| h.article_id.clone())
        .unwrap_or_default()
}

#[test]
fn bm25_ranks_the_right_article_first() {
    let index = KnowledgeIndex::build(&help_center());
    let cases = [
        ("How do I get a refund?", "refunds"),
        ("I forgot my password", "password"),
        ("how long does shipping take to Canada", "shipping"),
        ("Where can I download my invoices?", "invoices"),
        ("where is my parcel, is there a tracking number?", "tracking"),
        ("I want to downgrade my subscription", "plans"),
        ("please cancel my account", "cancel"),
        ("set up two-factor authentication", "2fa"),
        ("can I exchange an item for another size", "returns"),
    ];
    for (q, want) in cases {
        assert_eq!(top(&index, q), want, "query {q:?}");
    }
}

#[test]
fn clear_matches_are_confident_and_off_topic_questions_are_not() {
    let index = KnowledgeIndex::build(&help_center());
    let sure = &index.search("reset my password", 3)[0];
    assert_eq!(sure.article_id, "password");
    assert!(sure.confidence >= 0.55, "{sure:?}");

    // Nothing in the help centre is about gift cards or vouchers.
    let hits = index.search("Do you sell gift cards or vouchers?", 3);
    assert!(hits.first().is_none_or(|h| h.confidence < 0.25), "{hits:?}");
}

#[test]
fn title_boost_matters() {
    let articles = [
        Article::new(
            "inv",
            "Invoices",
            "Everything about the documents we send you after each payment, in the account section.",
        ),
        Article::new(
            "billing",
            "Billing overview",
            "Billing happens monthly. An invoice is created per payment and the invoice is emailed to the \
             account owner, along with a receipt and the payment summary of the month.",
        ),
    ];
    let boosted = KnowledgeIndex::build(&articles);
    assert_eq!(top(&boosted, "invoice"), "inv");
    let flat = KnowledgeIndex::build_with(
        &articles,
        Bm25Params {
            title_weight: 1.0,
            ..Default::default()
        },
    );
    assert_eq!(top(&flat, "invoice"), "billing");
}

#[test]
fn stop_words_are_ignored() {
    let index = KnowledgeIndex::build(&help_center());
    let a = index.search("How do I reset my password, please?", 3);
    let b = index.search("reset password", 3);
    assert_eq!(a, b);
    assert!(index.search("how do I do this?", 3).is_empty());
    assert!(
        index
            .search("Wie kann ich das machen, bitte?", 3)
            .iter()
            .all(|h| h.confidence < 0.25)
    );
}

#[test]
fn unicode_and_accents_match_either_way() {
    let index = KnowledgeIndex::build(&help_center());
    assert_eq!(top(&index, "RÜCKERSTATTUNG"), "rueckerstattung");
    assert_eq!(top(&index, "ruckerstattung beantragen"), "rueckerstattung");
    assert_eq!(top(&index, "politica de devolucion"), "devoluciones");
    assert_eq!(
        top(&index, "¿Cuál es la política de devoluciones?"),
        "devoluciones"
    );
    // Scripts without spaces do not crash and find nothing here.
    assert!(index.search("退款政策 🙂", 3).is_empty());
}

#[test]
fn empty_knowledge_base_and_empty_query_find_nothing() {
    let empty = KnowledgeIndex::build(&[]);
    assert!(empty.is_empty());
    assert!(empty.search("refund", 5).is_empty());
    let index = KnowledgeIndex::build(&help_center());
    assert!(index.search("", 5).is_empty());
    assert!(index.search("   ?!  ", 5).is_empty());
    assert!(index.search("refund", 0).is_empty());
}

#[test]
fn snippets_quote_the_sentence_about_the_question() {
    let index = KnowledgeIndex::build(&help_center());
    let hit = &index.search("does the reset link expire?", 1)[0];
    assert_eq!(hit.article_id, "password");
    assert!(hit.snippet.contains("expires after one hour"), "{}", hit.snippet);
    let excerpt = index.excerpt(hit, 600);
    assert!(excerpt.starts_with("We send you a link"), "{excerpt}");
    assert!(excerpt.chars().count() <= 600);
    assert!(index.excerpt(hit, 30).chars().count() <= 30);
}

#[test]
fn ties_between_equally_good_articles_lower_confidence() {
    let articles = [
        Article::new("a", "Pricing", "Our pricing is simple."),
        Article::new("b", "Pricing", "Our pricing is simple."),
    ];
    let index = KnowledgeIndex::build(&articles);
    let hits = index.search("pricing", 2);
    assert_eq!(hits[0].article_id, "a", "ties keep article order");
    assert!((hits[0].confidence - 0.7).abs() < 1e-4, "{hits:?}");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ]{0,60}",
        "\\PC{0,80}",
        proptest::collection::vec(
            prop::sample::select(vec![
                "refund", "shipping", "Straße", "héllo", "the", "退款", "!!", "\n", "e\u{301}"
            ]),
            0..20
        )
        .prop_map(|w| w.join(" ")),
    ]
}

proptest! {
    #[test]
    fn search_never_panics_and_scores_are_finite_and_sorted(
        docs in proptest::collection::vec((text(), text()), 0..12),
        query in text(),
        k in 0usize..6,
    ) {
        let articles: Vec<Article> =
            docs.iter().enumerate().map(|(i, (t, b))| Article::new(i.to_string(), t, b)).collect();
        let index = KnowledgeIndex::build(&articles);
        let hits = index.search(&query, k);
        prop_assert!(hits.len() <= k);
        for h in &hits {
            prop_assert!(h.score.is_finite() && h.score > 0.0);
            prop_assert!((0.0..=1.0).contains(&h.confidence));
            prop_assert!(h.snippet.chars().count() <= 200);
            let _ = index.excerpt(h, 100);
        }
        for w in hits.windows(2) {
            prop_assert!(w[0].score >= w[1].score);
        }
    }
}
