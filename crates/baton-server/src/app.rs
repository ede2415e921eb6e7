//! Building and running the server: `Application::build` binds the listener
//! (port 0 picks a free one, so tests run the real server), `run_until_stopped`
//! serves until Ctrl-C or SIGTERM and then shuts down gracefully.

use crate::error::ApiError;
use crate::metrics;
use crate::openapi::ApiDoc;
use crate::routes::{self, health};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use baton_core::Clock;
use baton_store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_scalar::{Scalar, Servable};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
    /// How long an authenticated credential is trusted without asking the
    /// store again (also how late another node's deactivation may bite).
    pub auth_cache_ttl: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Run the AI agent worker (tests turn it off to stop between a message
    /// and its reply).
    pub agent_worker: bool,
    /// Email, Slack and webhook delivery.
    pub notify: crate::notify::NotifyConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            secure_cookies: false,
            auth_cache_ttl: Duration::from_secs(2),
            max_body_bytes: 1024 * 1024,
            agent_worker: true,
            notify: crate::notify::NotifyConfig::default(),
        }
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    shutdown: watch::Sender<bool>,
}

impl Application {
    /// Bind the listener and assemble the routes.
    pub async fn build(
        config: ServerConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(&config.listen).await?;
        let addr = listener.local_addr()?;
        // Queue email and Slack deliveries only if this deployment can send them.
        store.set_sendable(baton_store::notifications::Sendable {
            email: config.notify.smtp.is_some(),
            slack: config.notify.slack.is_some(),
        });
        let (shutdown, stopping) = watch::channel(false);
        tokio::spawn(crate::workers::timers::run(
            store.clone(),
            clock.clone(),
            stopping.clone(),
        ));
        let agents = Arc::new(crate::agents::AgentHub::new(store.clone()));
        if config.agent_worker {
            tokio::spawn(crate::workers::agents::run(
                agents.clone(),
                store.clone(),
                stopping.clone(),
            ));
        }
        if config.notify.worker {
            let senders = crate::notify::Senders::new(&config.notify).map_err(std::io::Error::other)?;
            tokio::spawn(crate::workers::deliveries::run(
                store.clone(),
                Arc::new(senders),
                clock.clone(),
                config.notify.poll,
                stopping.clone(),
            ));
        }
        let state = AppState::new(config, store, clock, agents, stopping);
        Ok(Self {
            listener,
            addr,
            router: router(state),
            shutdown,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve until Ctrl-C or SIGTERM, then finish in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serve until `signal` completes, then finish in-flight requests. Event
    /// streams are told to end, since they would otherwise never finish.
    pub async fn run_until<F>(self, signal: F) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let stopping = self.shutdown;
        // Small JSON answers must not wait for Nagle's algorithm.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move {
                signal.await;
                tracing::info!("shutting down");
                let _ = stopping.send(true);
            })
            .await
    }
}

/// Every route, layered: tracing outermost, then panic catching, the body
/// limit, and metrics.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::base())
        .merge(routes::api())
        .split_for_parts();
    let doc = ApiDoc::finish(doc);
    // Serialised once: the document never changes while the server runs.
    let doc_json = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    let max_body = state.config.max_body_bytes;
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], doc_json) }),
        )
        .merge(Scalar::with_url("/api/v1/docs", doc))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics_handler))
        .merge(crate::web::router())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// A panicking handler answers like any other failure: logged, never explained.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    ApiError::internal(format!("panic: {detail}")).into_response()
}

async fn no_route(req: Request) -> impl IntoResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such path: {} {}", req.method(), req.uri().path()),
    )
}

async fn wrong_method(req: Request) -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
