//! Prometheus metrics, hand-rolled: request counts by route and status, a
//! latency histogram by route, and live SSE connections. The hot path takes
//! only read locks and bumps atomics; a write lock is taken once per new
//! route/status pair.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

type RouteKey = (&'static str, String);

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// All counters of one server.
#[derive(Default)]
pub struct Metrics {
    requests: RwLock<HashMap<(RouteKey, u16), Arc<AtomicU64>>>,
    latency: RwLock<HashMap<RouteKey, Arc<Histogram>>>,
    /// Open SSE streams.
    pub sse_connections: AtomicI64,
}

fn method_name(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Get or insert under a read-mostly lock.
fn entry<K, V>(map: &RwLock<HashMap<K, Arc<V>>>, key: K) -> Arc<V>
where
    K: std::hash::Hash + Eq,
    V: Default,
{
    if let Some(v) = map.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return v.clone();
    }
    map.write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .clone()
}

impl Metrics {
    /// Count one finished request.
    pub fn record(&self, method: &'static str, route: &str, status: u16, secs: f64) {
        let key = (method, route.to_string());
        entry(&self.requests, (key.clone(), status)).fetch_add(1, Ordering::Relaxed);
        let h = entry(&self.latency, key);
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.buckets[i].fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        h.count.fetch_add(1, Ordering::Relaxed);
        h.sum_micros.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP baton_http_requests_total HTTP requests by method, route and status.\n");
        out.push_str("# TYPE baton_http_requests_total counter\n");
        let requests: BTreeMap<_, _> = self
            .requests
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
            .collect();
        for (((method, route), status), n) in &requests {
            let _ = writeln!(
                out,
                "baton_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP baton_http_request_duration_seconds Time to answer, by method and route.\n");
        out.push_str("# TYPE baton_http_request_duration_seconds histogram\n");
        let latency: BTreeMap<_, _> = self
            .latency
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for ((method, route), h) in &latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            let mut cumulative = 0;
            for (i, le) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "baton_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "baton_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out.push_str("# HELP baton_sse_connections Open server-sent event streams.\n");
        out.push_str("# TYPE baton_sse_connections gauge\n");
        let _ = writeln!(
            out,
            "baton_sse_connections {}",
            self.sse_connections.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: time and count every request by its route template (never the
/// raw path, which would make one series per id).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_name(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.run(req).await;
    state.metrics.record(
        method,
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// `GET /metrics`.
pub async fn metrics_handler(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_metrics_have_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/api/v1/me", 200, 0.002);
        m.record("GET", "/api/v1/me", 200, 0.2);
        m.record("GET", "/api/v1/me", 401, 0.0001);
        let text = m.render();
        assert!(
            text.contains(r#"baton_http_requests_total{method="GET",route="/api/v1/me",status="200"} 2"#)
        );
        assert!(
            text.contains(r#"baton_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#)
        );
        assert!(text.contains(
            r#"baton_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="0.0025"} 2"#
        ));
        assert!(text.contains(
            r#"baton_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="+Inf"} 3"#
        ));
    }
}
