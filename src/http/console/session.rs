//! Console sessions: an API token exchanged for a random session id kept in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` unless the listener is on loopback), with a per-session
//! CSRF token that every form carries.
//!
//! Sessions live in memory only: a restart signs everyone out, which is acceptable for a console
//! (the token stays the credential). At most [`MAX_SESSIONS`] exist; signing in beyond that drops
//! expired sessions first, then the oldest. Each expires [`LIFETIME`] after sign-in, checked on the
//! server, whatever the browser does with the cookie. A session remembers the SHA-256 of the
//! token it was opened with, and every request looks the token up in the current config again:
//! a token removed by a reload ends its sessions, and a changed role applies at once.

use crate::config::{Config, Role};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most sessions held at once.
pub const MAX_SESSIONS: usize = 1000;
/// How long a session lasts after sign-in.
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The session cookie's name.
pub const COOKIE: &str = "lockstep_session";
/// The sign-in form's own CSRF cookie (double submit: no session exists yet).
pub const SIGNIN_COOKIE: &str = "lockstep_signin";

/// A result shown once on the next page (a decision's outcome per suggestion, a notice).
#[derive(Debug, Clone, Default)]
pub struct Flash {
    pub notice: Option<String>,
    /// Suggestion id → (state, error).
    pub results: Vec<(String, String, Option<String>)>,
}

#[derive(Debug, Clone)]
struct Entry {
    token_sha256: [u8; 32],
    csrf: String,
    created: Instant,
    flash: Option<Flash>,
}

/// The signed-in user of one request.
#[derive(Debug, Clone)]
pub struct User {
    /// The session id's SHA-256 (hex): how the session is found, never the id itself.
    key: String,
    pub name: String,
    pub role: Role,
    pub csrf: String,
}

/// Every open session, keyed by the SHA-256 of its id (so the map never holds a usable id).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Entry>>,
}

pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

fn key_of(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The configured token matching `presented`, compared in constant time against every one.
pub fn find_token<'a>(config: &'a Config, sha: &[u8; 32]) -> Option<&'a crate::config::ApiToken> {
    let mut found = None;
    for token in &config.api.tokens {
        if bool::from(subtle::ConstantTimeEq::ct_eq(&sha[..], &token.sha256[..])) {
            found = Some(token);
        }
    }
    found
}

/// Two secrets compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for a token that the config knows; returns the session id for the cookie.
    pub fn open(&self, config: &Config, token: &str, now: Instant) -> Option<String> {
        let sha: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        find_token(config, &sha)?;
        let id = random_token();
        let mut map = self.lock();
        map.retain(|_, e| now.duration_since(e.created) < LIFETIME);
        while map.len() >= MAX_SESSIONS {
            let oldest = map
                .iter()
                .min_by_key(|(_, e)| e.created)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => map.remove(&k),
                None => break,
            };
        }
        map.insert(
            key_of(&id),
            Entry {
                token_sha256: sha,
                csrf: random_token(),
                created: now,
                flash: None,
            },
        );
        Some(id)
    }

    /// The user of a session id, if the session exists, has not expired and its token is still
    /// configured.
    pub fn user(&self, config: &Config, id: &str, now: Instant) -> Option<User> {
        let key = key_of(id);
        let mut map = self.lock();
        let entry = map.get(&key)?;
        let token = find_token(config, &entry.token_sha256);
        if now.duration_since(entry.created) >= LIFETIME || token.is_none() {
            map.remove(&key);
            return None;
        }
        let token = token?;
        Some(User {
            key,
            name: token.name.clone(),
            role: token.role,
            csrf: entry.csrf.clone(),
        })
    }

    pub fn close(&self, user: &User) {
        self.lock().remove(&user.key);
    }

    pub fn set_flash(&self, user: &User, flash: Flash) {
        if let Some(e) = self.lock().get_mut(&user.key) {
            e.flash = Some(flash);
        }
    }

    pub fn take_flash(&self, user: &User) -> Option<Flash> {
        self.lock().get_mut(&user.key).and_then(|e| e.flash.take())
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `Set-Cookie` value of a session (or of the sign-in CSRF cookie).
pub fn cookie(name: &str, value: &str, secure: bool, max_age: Duration) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// A cookie's value from the request's `Cookie` headers.
pub fn read_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let sha = hex::encode(Sha256::digest(b"tok"));
        let yaml = format!(
            "portfolio: t\ndata_dir: /tmp/x\napi:\n  tokens:\n    - {{ name: a, role: approver, sha256: {sha} }}\n"
        );
        Config::from_yaml_str(&yaml, &crate::config::ProcessEnv).expect("config")
    }

    #[test]
    fn a_known_token_opens_a_session_that_expires_and_closes() {
        let (c, s, now) = (config(), Sessions::default(), Instant::now());
        assert!(s.open(&c, "wrong", now).is_none());
        let id = s.open(&c, "tok", now).expect("session");
        let user = s.user(&c, &id, now).expect("user");
        assert_eq!((user.name.as_str(), user.role), ("a", Role::Approver));
        assert!(s.user(&c, "not-an-id", now).is_none());
        assert!(s.user(&c, &id, now + LIFETIME).is_none(), "expired");
        assert!(s.is_empty(), "an expired session is dropped");
        let id = s.open(&c, "tok", now).expect("session");
        let user = s.user(&c, &id, now).expect("user");
        s.close(&user);
        assert!(s.user(&c, &id, now).is_none());
    }

    #[test]
    fn sessions_are_bounded_and_end_when_their_token_leaves_the_config() {
        let (c, s, now) = (config(), Sessions::default(), Instant::now());
        let first = s.open(&c, "tok", now).expect("first");
        for i in 1..=MAX_SESSIONS {
            s.open(&c, "tok", now + Duration::from_millis(i as u64));
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(s.user(&c, &first, now).is_none(), "the oldest made room");
        let id = s.open(&c, "tok", now).expect("session");
        let mut reloaded = c.clone();
        reloaded.api.tokens.clear();
        assert!(s.user(&reloaded, &id, now).is_none());
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_off_loopback() {
        let c = cookie(COOKIE, "v", true, LIFETIME);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!cookie(COOKIE, "v", false, LIFETIME).contains("Secure"));
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "cookie",
            "a=1; lockstep_session=abc".parse().expect("header"),
        );
        assert_eq!(read_cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
