//! A short-lived cache of credential digest -> user, so the hot path does not
//! read the database on every request. Entries live a couple of seconds: long
//! enough to absorb bursts, short enough that a deactivation made by another
//! node (or the CLI) is honoured promptly. This node drops a user's entries
//! itself the moment it changes them.

use baton_core::UserId;
use baton_core::directory::User;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Bound on entries; past it, expired entries are swept (and, if all are
/// fresh, everything is dropped) so memory stays small under token spraying.
const MAX_ENTRIES: usize = 50_000;

struct Entry {
    user: Arc<User>,
    at: Instant,
}

/// Credential digest -> user, with a time to live.
pub struct AuthCache {
    ttl: Duration,
    map: RwLock<HashMap<String, Entry>>,
}

impl AuthCache {
    /// An empty cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: RwLock::new(HashMap::new()),
        }
    }

    /// The cached user for a digest, if fresh.
    pub fn get(&self, key: &str) -> Option<Arc<User>> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.map.read().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|e| e.at.elapsed() < self.ttl)
            .map(|e| e.user.clone())
    }

    /// Remember a digest's user.
    pub fn put(&self, key: String, user: Arc<User>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, e| e.at.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            key,
            Entry {
                user,
                at: Instant::now(),
            },
        );
    }

    /// Forget one digest (sign-out).
    pub fn forget(&self, key: &str) {
        self.map.write().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// Forget every credential of a user (their role or activity changed).
    pub fn forget_user(&self, id: UserId) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, e| e.user.id != id);
    }
}
