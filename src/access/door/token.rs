//! Signing in to DOOR: `authenticatePartner` (door-auth, `POST /v1/oauth/token`, the `#m2m`
//! variant) with `{audience, client_id, client_secret, grant_type: "client_credentials"}` as
//! JSON, answering `{access_token, token_type}`. The token is cached until it expires and
//! replaced by a new grant (client credentials have no refresh token). Refusals (401
//! `UNAUTHORIZED`; 403 `unauthorized_client` per door-error-codes) become auth failures
//! saying which settings to check, through `net::sign_in_refused`.

use super::wire::parse_token;
use super::Door;
use crate::net::NetError;
use base64::Engine;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(super) const TOKEN_PATH: &str = "/v1/oauth/token";
/// Lifetime assumed when neither `expires_in` nor the JWT's `exp` says (assumption; a 401
/// still forces a new token).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A cached access token. Deliberately not `Debug`: tokens never reach logs.
pub(super) struct Token {
    access: String,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// Due once less than a fifth of the lifetime or 10 s remain, but never in the first half
    /// of a short-lived token's life (or every call would fetch one).
    fn renew_due(&self) -> bool {
        let margin = (self.lifetime / 5)
            .max(Duration::from_secs(10))
            .min(self.lifetime / 2);
        self.obtained.elapsed() + margin >= self.lifetime
    }
}

impl Door {
    /// `authenticatePartner` with the configured client.
    async fn fetch_token(&self) -> Result<Token, NetError> {
        let url = format!("{}{TOKEN_PATH}", self.cfg.auth_url.trim_end_matches('/'));
        let body = json!({
            "audience": self.cfg.audience,
            "client_id": self.cfg.client_id,
            "client_secret": self.cfg.client_secret.value,
            "grant_type": "client_credentials",
        });
        let request = self.http.request_url(Method::POST, &url).json(&body);
        let sent = self.http.send(Method::POST, TOKEN_PATH, request).await;
        let reply = sent.map_err(refused_sign_in)?;
        let t = parse_token(&reply.body)
            .map_err(|detail| self.http.bad_response(Method::POST, TOKEN_PATH, detail))?;
        let lifetime = t
            .expires_in
            .map(Duration::from_secs)
            .or_else(|| jwt_lifetime(&t.access_token, SystemTime::now()))
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        Ok(Token {
            access: t.access_token,
            obtained: Instant::now(),
            lifetime: lifetime.clamp(Duration::from_secs(1), Duration::from_secs(30 * 86_400)),
        })
    }

    /// A valid token: the cached one, or a new grant when there is none or it is near expiry.
    /// Holding the lock across the call makes concurrent callers share one token.
    pub(super) async fn access_token(&self) -> Result<String, NetError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !t.renew_due()) {
            return Ok(t.access.clone());
        }
        let token = self.fetch_token().await?;
        let access = token.access.clone();
        *cached = Some(token);
        Ok(access)
    }

    /// Forgets `access` if it is still the cached token (another caller may have replaced it).
    pub(super) async fn forget(&self, access: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.access == access) {
            *cached = None;
        }
    }
}

/// What is left of a JWT's life by its `exp` claim (door-partner's `bearerFormat: JWT`). The
/// token is not verified here, only read; anything unreadable gives `None`.
pub(super) fn jwt_lifetime(token: &str, now: SystemTime) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(exp.saturating_sub(now)))
}

/// `authenticatePartner`'s refusals as auth failures with what to check. The vendor's text is
/// kept; no configured value is added.
fn refused_sign_in(e: NetError) -> NetError {
    crate::net::sign_in_refused(e, |message| {
        format!(
            "DOOR refused the client-credentials token ({message}); check client_id, \
             client_secret and audience, and that DOOR enabled this partner client"
        )
    })
}
