//! Signing in to DOOR: `authenticatePartner` (door-auth, `POST /v1/oauth/token`, the `#m2m`
//! variant) with `{audience, client_id, client_secret, grant_type: "client_credentials"}` as
//! JSON, answering `{access_token, token_type}`. The token is cached until it expires and
//! replaced by a new grant (client credentials have no refresh token). Refusals (401
//! `UNAUTHORIZED`; 403 `unauthorized_client` per door-error-codes) become auth failures
//! saying which settings to check, through `net::sign_in_refused`.

use super::wire::parse_token;
use super::Door;
use crate::net::token::Token;
use crate::net::NetError;
use base64::Engine;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(super) const TOKEN_PATH: &str = "/v1/oauth/token";
/// Lifetime assumed when neither `expires_in` nor the JWT's `exp` says (assumption; a 401
/// still forces a new token).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

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
        Ok(Token::new(
            t.access_token,
            lifetime,
            Duration::from_secs(30 * 86_400),
        ))
    }

    /// The cached token, or a new grant near expiry (`net::token`).
    pub(super) async fn access_token(&self) -> Result<String, NetError> {
        self.token.get(|_| self.fetch_token()).await
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
