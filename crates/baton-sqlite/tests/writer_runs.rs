//! Repeatable jobs committed together share one savepoint; when one of them
//! fails, the others run again and only what commits is answered.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_core::*;
use baton_store::*;
use common::{acme_with_api_channel, db_url};
use std::collections::HashSet;
use std::time::Duration;

fn contact(id: &str) -> ContactInput {
    ContactInput {
        external_id: Some(id.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_job_among_repeatable_ones_rolls_back_alone() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    // Hold the writer so that everything below queues up and is committed
    // as one group.
    let blocker = {
        let store = store.clone();
        tokio::spawn(async move {
            in_tx(store.as_ref(), |_tx| {
                Box::pin(async {
                    std::thread::sleep(Duration::from_millis(400));
                    Ok(())
                })
            })
            .await
            .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
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
    let doomed = store
        .list_contacts(ws, Some("doomed"), &PageRequest::first(10))
        .await
        .unwrap();
    assert!(
        doomed.items.is_empty(),
        "the failed job's contact was rolled back"
    );
    let teams = store.list_teams(ws).await.unwrap();
    assert_eq!(teams.len(), 1, "the job that runs once committed once");
    // The log stays gapless: every sequence number from 1 up is there once.
    let log = store.events_after(ws, 0, 10_000).await.unwrap();
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}
