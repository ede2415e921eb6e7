//! Built-in agent latency on a 1,000-article knowledge base: `search` alone and
//! the full `respond` (handoff check + retrieval + composing the reply).
//!
//! The target is retrieval p99 ≤ 5 ms, so besides criterion's means this
//! prints percentiles measured over many individually timed queries.
#![allow(missing_docs)]

use baton_agents::{AgentConfig, AgentRequest, Article, BuiltinRuntime, KnowledgeIndex};
use criterion::{BenchmarkId, Criterion, criterion_group};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ARTICLES: usize = 1_000;

/// xorshift64*: deterministic and dependency-free, enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Roughly Zipf-distributed rank in 0..n: a few words are everywhere, most are rare,
    /// like real prose.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

const SUPPORT_WORDS: &[&str] = &[
    "account",
    "billing",
    "invoice",
    "refund",
    "shipping",
    "order",
    "password",
    "login",
    "email",
    "payment",
    "subscription",
    "plan",
    "upgrade",
    "cancel",
    "delivery",
    "tracking",
    "return",
    "exchange",
    "warranty",
    "device",
    "app",
    "settings",
    "notification",
    "security",
    "team",
    "export",
    "import",
    "integration",
    "api",
    "webhook",
    "storage",
    "backup",
    "sync",
    "mobile",
    "desktop",
    "browser",
    "error",
    "install",
];

/// A vocabulary of ~6,000 words: real support words plus pronounceable made-up ones.
fn vocabulary(rng: &mut Rng) -> Vec<String> {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ren", "sto", "val", "pe", "dri", "qu", "ox", "tal", "ber", "nu", "shi", "gra",
        "fen", "wo", "zel", "tri", "an", "mor", "pli", "cus", "der",
    ];
    let mut words: Vec<String> = SUPPORT_WORDS.iter().map(|w| w.to_string()).collect();
    while words.len() < 6_000 {
        let n = 2 + rng.below(3);
        let w: String = (0..n).map(|_| SYL[rng.below(SYL.len())]).collect();
        words.push(w);
    }
    words
}

fn knowledge_base() -> (Vec<Article>, Vec<String>) {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let vocab = vocabulary(&mut rng);
    let articles = (0..ARTICLES)
        .map(|i| {
            // Each article has a few topic words that recur in it, as real articles do.
            let topic: Vec<&str> = (0..4).map(|_| vocab[rng.below(vocab.len())].as_str()).collect();
            let title_len = 3 + rng.below(5);
            let title: Vec<&str> = (0..title_len)
                .map(|j| {
                    if j < 2 {
                        topic[j]
                    } else {
                        vocab[rng.zipf(vocab.len())].as_str()
                    }
                })
                .collect();
            let words = 150 + rng.below(251);
            let mut body = String::new();
            let mut in_sentence = 0;
            for _ in 0..words {
                let w = if rng.below(12) == 0 {
                    topic[rng.below(topic.len())]
                } else {
                    vocab[rng.zipf(vocab.len())].as_str()
                };
                body.push_str(w);
                in_sentence += 1;
                if in_sentence > 8 && rng.below(8) == 0 {
                    body.push_str(". ");
                    in_sentence = 0;
                } else {
                    body.push(' ');
                }
            }
            Article::new(format!("a{i}"), title.join(" "), body)
        })
        .collect();
    (articles, vocab)
}

/// Queries of three kinds: an article's title words plus filler (the usual case),
/// common words only (long posting lists: the slow case), and words no article has.
fn queries(articles: &[Article], vocab: &[String]) -> Vec<String> {
    let mut rng = Rng(0x0bad_cafe_f00d_0001);
    (0..300)
        .map(|i| match i % 3 {
            0 => {
                let a = &articles[rng.below(articles.len())];
                format!("how do I {} my {} please?", a.title, vocab[rng.zipf(vocab.len())])
            }
            1 => (0..6)
                .map(|_| vocab[rng.below(20)].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            _ => "is there a zzqx flibbertigibbet for my account".to_string(),
        })
        .collect()
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "{name:<28} n={:<6} p50={:>8.1?} p90={:>8.1?} p99={:>8.1?} p99.9={:>8.1?} max={:>8.1?}",
        samples.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999),
        samples[samples.len() - 1],
    );
}

fn measure_percentiles(quick: bool) {
    let (articles, vocab) = knowledge_base();
    let start = Instant::now();
    let index = Arc::new(KnowledgeIndex::build(&articles));
    println!("built a {}-article index in {:.1?}", index.len(), start.elapsed());
    let qs = queries(&articles, &vocab);
    let runtime = BuiltinRuntime::new(index.clone());
    let agent = AgentConfig::new("Ava", serde_json::json!({}));
    let rounds = if quick { 1 } else { 50 };
    let (mut search, mut respond) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for q in &qs {
            let t = Instant::now();
            black_box(index.search(black_box(q), 3));
            search.push(t.elapsed());
            let req = AgentRequest::reply(agent.clone(), Vec::new(), q.clone());
            let t = Instant::now();
            black_box(runtime.answer(black_box(&req)));
            respond.push(t.elapsed());
        }
    }
    percentiles("search (1,000 articles)", search);
    percentiles("builtin respond", respond);
}

fn bench(c: &mut Criterion) {
    let (articles, vocab) = knowledge_base();
    let index = Arc::new(KnowledgeIndex::build(&articles));
    let qs = queries(&articles, &vocab);
    let runtime = BuiltinRuntime::new(index.clone());
    let agent = AgentConfig::new("Ava", serde_json::json!({}));
    let requests: Vec<AgentRequest> = qs
        .iter()
        .map(|q| AgentRequest::reply(agent.clone(), Vec::new(), q.clone()))
        .collect();

    let mut g = c.benchmark_group("builtin_1000_articles");
    let kinds = ["title_words", "common_words", "unknown_words"];
    for (k, kind) in kinds.iter().enumerate() {
        let q: Vec<&String> = qs.iter().skip(k).step_by(3).collect();
        let mut i = 0;
        g.bench_function(BenchmarkId::new("search", kind), |b| {
            b.iter(|| {
                i = (i + 1) % q.len();
                black_box(index.search(black_box(q[i]), 3))
            })
        });
    }
    let mut i = 0;
    g.bench_function("respond_mixed", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            black_box(runtime.answer(black_box(&requests[i])))
        })
    });
    g.finish();
    c.bench_function("build_index_1000_articles", |b| {
        b.iter(|| KnowledgeIndex::build(black_box(&articles)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}

fn main() {
    // `cargo test --benches` runs this with `--test`: keep that quick.
    let quick = std::env::args().any(|a| a == "--test");
    measure_percentiles(quick);
    benches();
    Criterion::default().configure_from_args().final_summary();
}
