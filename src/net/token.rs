//! The bearer-token cache the connectors that sign in share (Openpath, DOOR, OfficeRnD): one
//! token per connector, renewed near its expiry under a lock so concurrent callers share one
//! sign-in, and forgotten after a 401 so the next call signs in again.

use super::NetError;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// An access token and when it runs out. Deliberately not `Debug`: tokens never reach logs.
pub struct Token {
    access: String,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// A token obtained now, living `lifetime` (at least 1 s, at most `longest`).
    pub fn new(access: String, lifetime: Duration, longest: Duration) -> Token {
        Token {
            access,
            obtained: Instant::now(),
            lifetime: lifetime.clamp(Duration::from_secs(1), longest),
        }
    }

    pub fn access(&self) -> &str {
        &self.access
    }

    /// Due once less than a fifth of the lifetime or 10 s remain, but never in the first half
    /// of a short-lived token's life (or every call would sign in).
    pub fn renew_due(&self) -> bool {
        let margin = (self.lifetime / 5)
            .max(Duration::from_secs(10))
            .min(self.lifetime / 2);
        self.obtained.elapsed() + margin >= self.lifetime
    }
}

/// One connector's cached token.
#[derive(Default)]
pub struct TokenCache(Mutex<Option<Token>>);

impl TokenCache {
    /// A valid token: the cached one, or `renew(old)` when there is none or it is near expiry
    /// (`old` is the token being replaced, for vendors that refresh with it). Holding the lock
    /// across `renew` makes concurrent callers share one sign-in.
    pub async fn get<F, Fut>(&self, renew: F) -> Result<String, NetError>
    where
        F: FnOnce(Option<Token>) -> Fut,
        Fut: Future<Output = Result<Token, NetError>>,
    {
        let mut cached = self.0.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !t.renew_due()) {
            return Ok(t.access.clone());
        }
        let token = renew(cached.take()).await?;
        let access = token.access.clone();
        *cached = Some(token);
        Ok(access)
    }

    /// Forgets `access` if it is still the cached token (another caller may have replaced it).
    pub async fn forget(&self, access: &str) {
        let mut cached = self.0.lock().await;
        if cached.as_ref().is_some_and(|t| t.access == access) {
            *cached = None;
        }
    }
}
