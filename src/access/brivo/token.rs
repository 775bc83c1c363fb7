//! Signing in to Brivo: the OAuth password grant at `{auth_url}/oauth/token` (form-encoded,
//! Basic client auth, `api-key`), cached and refreshed with the refresh token before it expires
//! (brivo-apidocs: Authentication - Headers; OAuth2 Tokens). The token endpoint's refusals (the
//! documented 401 bodies, Response Codes - Error codes) become auth failures whose message says
//! which settings to check and carries no secret.

use super::wire::parse_token;
use super::Brivo;
use crate::net::NetError;
use reqwest::Method;
use std::time::{Duration, Instant};

pub(super) const TOKEN_PATH: &str = "/oauth/token";
/// Lifetime assumed when the token answer omits `expires_in` (the docs' example).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// A cached access token. Deliberately not `Debug`: tokens never reach logs.
pub(super) struct Token {
    access: String,
    refresh: Option<String>,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// Due once less than a fifth of the lifetime or 10 s remain, but never in the first half
    /// of a short-lived token's life (or every call would refresh).
    fn refresh_due(&self) -> bool {
        let margin = (self.lifetime / 5)
            .max(Duration::from_secs(10))
            .min(self.lifetime / 2);
        self.obtained.elapsed() + margin >= self.lifetime
    }
}

impl Brivo {
    /// One grant at the token endpoint.
    async fn grant(&self, form: &[(&str, &str)]) -> Result<Token, NetError> {
        let url = format!("{}{TOKEN_PATH}", self.cfg.auth_url.trim_end_matches('/'));
        let request = self
            .http
            .request_url(Method::POST, &url)
            .basic_auth(&self.cfg.client_id, Some(&self.cfg.client_secret.value))
            .header("api-key", &self.cfg.api_key.value)
            .form(form);
        let sent = self.http.send(Method::POST, TOKEN_PATH, request).await;
        let reply = sent.map_err(refused_sign_in)?;
        let t = parse_token(&reply.body)
            .map_err(|detail| self.http.bad_response(Method::POST, TOKEN_PATH, detail))?;
        let lifetime = t.lifetime(DEFAULT_TOKEN_LIFETIME);
        Ok(Token {
            access: t.access_token,
            refresh: t.refresh_token.filter(|r| !r.is_empty()),
            obtained: Instant::now(),
            lifetime: lifetime.clamp(Duration::from_secs(1), Duration::from_secs(86_400)),
        })
    }

    /// A valid access token: the cached one, a refreshed one when it is near expiry, or a new
    /// one from the password grant when there is none or the refresh fails. Holding the lock
    /// across the grant makes concurrent callers share one.
    pub(super) async fn access_token(&self) -> Result<String, NetError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| !t.refresh_due()) {
            return Ok(t.access.clone());
        }
        let mut token = None;
        if let Some(refresh) = cached.take().and_then(|t| t.refresh) {
            let form = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
            match self.grant(&form).await {
                Ok(mut t) => {
                    // Keep the refresh token if the answer did not rotate it.
                    t.refresh = t.refresh.or(Some(refresh));
                    token = Some(t);
                }
                Err(error) => {
                    let system = &self.http.name;
                    tracing::debug!(%system, %error, "token refresh failed; signing in again");
                }
            }
        }
        let token = match token {
            Some(t) => t,
            None => {
                let password = [
                    ("grant_type", "password"),
                    ("username", self.cfg.username.as_str()),
                    ("password", self.cfg.password.value.as_str()),
                ];
                self.grant(&password).await?
            }
        };
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

/// The token endpoint's refusals as auth failures with what to check. Brivo documents 401 for
/// a bad Basic header (`{"status":401,…,"message":"Bad credentials"}`), for bad username and
/// password (`invalid_grant`) and for a missing Basic header (`unauthorized`); a 400
/// `invalid_grant` (the OAuth 2.0 spelling) is read the same way. The vendor's text is kept;
/// no configured value is added.
fn refused_sign_in(e: NetError) -> NetError {
    crate::net::sign_in_refused(e, |message| {
        format!(
            "Brivo refused the sign-in ({message}); check client_id and client_secret (sent \
             as the Basic header) and username and password"
        )
    })
}
