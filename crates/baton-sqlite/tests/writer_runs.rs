//! Repeatable jobs committed together run without savepoints; when one of
//! them fails after writing, the others run again and only what commits is
//! answered. One that fails before writing costs the others nothing.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_core::*;
use baton_store::*;
use common::{acme_with_api_channel, db_url, team_routed_by};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn contact(id: &str) -> ContactInput {
    ContactInput {
        external_id: Some(id.into()),
        ..Default::default()
    }
}

/// Hold the writer for `ms` once it has started, so that jobs submitted
/// meanwhile queue up and are committed as one group.
async fn hold_writer(store: Arc<impl Store>, ms: u64) -> tokio::task::JoinHandle<()> {
    let (started, holding) = tokio::sync::oneshot::channel();
    let blocker = tokio::spawn(async move {
        in_tx(store.as_ref(), move |_tx| {
            let _ = started.send(());
            Box::pin(async move {
                std::thread::sleep(Duration::from_millis(ms));
                Ok(())
            })
        })
        .await
        .unwrap()
    });
    holding.await.unwrap();
    blocker
}

/// The contact the failing job wrote is not in the database.
async fn assert_doomed_rolled_back(store: &impl Store, ws: WorkspaceId) {
    let doomed = store
        .list_contacts(ws, Some("doomed"), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        doomed.items.is_empty(),
        "the failed job's writes were rolled back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_job_among_repeatable_ones_rolls_back_alone() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let blocker = hold_writer(store.clone(), 300).await;
    let mut good = Vec::new();
    let mut team = None;
    for i in 0..20 {
        let s = store.clone();
        good.push(tokio::spawn(async move {
            s.inbound(ws, ch, contact(&format!("good{i}")), "hello").await
        }));
        tokio::time::sleep(Duration::from_millis(2)).await;
        if i == 10 {
            // Writes, then fails: a repeatable job in the middle of the run.
            let store = store.clone();
            good.push(tokio::spawn(async move {
                in_tx_repeatable(store.as_ref(), move |tx| {
                    Box::pin(async move {
                        ops::inbound(tx, ws, ch, contact("doomed"), "hello", None).await?;
                        Err::<InboundOutcome, _>(StoreError::invalid("doomed", "fails after writing"))
                    })
                })
                .await
            }));
        }
        if i == 15 {
            // A job that runs once ends the run before it.
            let store = store.clone();
            team = Some(tokio::spawn(async move {
                store.create_team(ws, &Actor::system("test"), "Night shift").await
            }));
        }
    }
    blocker.await.unwrap();
    team.unwrap().await.unwrap().unwrap();
    let mut answered = HashSet::new();
    let mut failures = 0;
    for t in good {
        match t.await.unwrap() {
            Ok(out) => {
                answered.insert(out.view.conversation.id);
                // What was answered is what was committed.
                let stored = store
                    .get_conversation(ws, None, out.view.conversation.id)
                    .await
                    .unwrap();
                assert_eq!(stored.contact.id, out.view.contact.id);
                let events = store
                    .timeline(ws, out.view.conversation.id, &PageRequest::first(50))
                    .await
                    .unwrap();
                let seqs: Vec<i64> = events.items.iter().map(|e| e.seq).collect();
                assert!(
                    out.events.iter().all(|e| seqs.contains(&e.seq)),
                    "answered events {:?} are not the stored ones {seqs:?}",
                    out.events.iter().map(|e| e.seq).collect::<Vec<_>>()
                );
            }
            Err(_) => failures += 1,
        }
    }
    assert_eq!(answered.len(), 20);
    assert_eq!(failures, 1, "only the doomed job fails");
    assert_doomed_rolled_back(store.as_ref(), ws).await;
    let teams = store.list_teams(ws).await.unwrap();
    assert_eq!(teams.len(), 1, "the job that runs once committed once");
    // The log stays gapless: every sequence number from 1 up is there once.
    let log = store.events_after(ws, 0, 10_000).await.unwrap();
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}

/// Ten inbound messages committed in one group, each counting how often its
/// job ran, beside one repeatable job that fails (after writing if `writes`).
async fn group_with_a_failure(writes: bool) -> Vec<usize> {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let blocker = hold_writer(store.clone(), 300).await;
    let runs: Vec<Arc<AtomicUsize>> = (0..10).map(|_| Arc::new(AtomicUsize::new(0))).collect();
    let mut jobs: Vec<TxFuture<'_, InboundOutcome>> = Vec::new();
    for (i, n) in runs.iter().enumerate() {
        let n = n.clone();
        jobs.push(Box::pin(in_tx_repeatable(store.as_ref(), move |tx| {
            n.fetch_add(1, Ordering::SeqCst);
            let c = contact(&format!("counted{i}"));
            Box::pin(async move { ops::inbound(tx, ws, ch, c, "hello", None).await })
        })));
        if i == 4 {
            jobs.push(Box::pin(in_tx_repeatable(store.as_ref(), move |tx| {
                Box::pin(async move {
                    if writes {
                        ops::inbound(tx, ws, ch, contact("doomed"), "hello", None).await?;
                    }
                    Err::<InboundOutcome, _>(StoreError::invalid("doomed", "refused"))
                })
            })));
        }
    }
    // `join_all` polls them in order, and each is queued on its first poll.
    let outcomes = futures::future::join_all(jobs).await;
    blocker.await.unwrap();
    let failures = outcomes.iter().filter(|o| o.is_err()).count();
    assert_eq!(failures, 1, "only the failing job fails");
    assert_doomed_rolled_back(store.as_ref(), ws).await;
    runs.iter().map(|n| n.load(Ordering::SeqCst)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_fails_before_writing_runs_nobody_again() {
    assert_eq!(group_with_a_failure(false).await, vec![1; 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_that_fails_after_writing_runs_the_others_again() {
    // The five before it ran, were rolled back and ran again; the five after
    // it ran once, each in its own savepoint.
    assert_eq!(group_with_a_failure(true).await, [[2; 5], [1; 5]].concat());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_explanation_first_written_in_a_group_that_rolled_back_reads_back_whole() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    // Twelve candidates: their ids are long enough to be stored once and
    // referred to (see `intern`), and nothing has stored them yet.
    let names: Vec<String> = (0..12).map(|i| format!("agent{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    team_routed_by(store.as_ref(), ws, "round_robin", &names).await;
    let blocker = hold_writer(store.clone(), 300).await;
    let routed = in_tx_repeatable(store.as_ref(), move |tx| {
        Box::pin(async move { ops::inbound(tx, ws, ch, contact("routed"), "hello", None).await })
    });
    let doomed = in_tx_repeatable(store.as_ref(), move |tx| {
        Box::pin(async move {
            ops::inbound(tx, ws, ch, contact("doomed"), "hello", None).await?;
            Err::<InboundOutcome, _>(StoreError::invalid("doomed", "fails after writing"))
        })
    });
    let (routed, doomed) = futures::future::join(routed, doomed).await;
    blocker.await.unwrap();
    assert!(doomed.is_err());
    assert_doomed_rolled_back(store.as_ref(), ws).await;
    // The routed message ran twice: its first interning was rolled back
    // with the group, so the second must not trust what the first stored.
    let conv = routed.unwrap().view.conversation.id;
    let timeline = store.timeline(ws, conv, &PageRequest::first(50)).await.unwrap();
    let routing = timeline
        .items
        .iter()
        .find_map(|e| e.event.data.get("routing"))
        .expect("a routing explanation");
    assert_eq!(
        routing["candidates"].as_array().map(Vec::len),
        Some(12),
        "{routing}"
    );
}
