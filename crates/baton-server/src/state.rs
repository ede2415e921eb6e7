//! What every handler shares.

use crate::agents::AgentHub;
use crate::app::ServerConfig;
use crate::auth::cache::AuthCache;
use crate::auth::limit::SignInLimiter;
use crate::metrics::Metrics;
use baton_core::Clock;
use baton_store::Store;
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::watch;

/// Shared state: the store, the clock, caches and counters. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// AI agents: knowledge indexes and runtimes.
    pub agents: Arc<AgentHub>,
    /// "Now", injectable for tests.
    pub clock: Arc<dyn Clock>,
    /// Credential digest -> user.
    pub auth: AuthCache,
    /// Throttles password sign-ins.
    pub sign_in: SignInLimiter,
    /// Request counters.
    pub metrics: Metrics,
    /// Settings.
    pub config: ServerConfig,
    /// Flips to `true` when the server shuts down, so endless responses (SSE) end.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Assemble the state.
    pub fn new(
        config: ServerConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        agents: Arc<AgentHub>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self(Arc::new(Inner {
            agents,
            auth: AuthCache::new(config.auth_cache_ttl),
            sign_in: SignInLimiter::default(),
            metrics: Metrics::default(),
            store,
            clock,
            config,
            shutdown,
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
