//! Signing in to Openpath: `login` (`POST /auth/login {email, password}`, 201 with
//! `data.token` and `data.expiresAt`) and `refreshLogin` (`POST /auth/accessTokens/refresh`
//! with the current token, 201 with a new one; the old one is invalidated), per
//! openpath-swagger. The token is cached, refreshed before it expires, and replaced by a fresh
//! login when the refresh fails. Refusals become auth failures saying which settings to check.

use super::wire::{parse_login, LoginData};
use super::Openpath;
use crate::net::token::Token;
use crate::net::NetError;
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, SystemTime};

pub(super) const LOGIN_PATH: &str = "/auth/login";
pub(super) const REFRESH_PATH: &str = "/auth/accessTokens/refresh";
/// Lifetime assumed when `expiresAt` is null (assumption; a 401 still forces a new login).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A token read from a `login` or `refreshLogin` answer (`expiresAt` null: the default lifetime).
fn token_of(data: LoginData, lifetime: Option<Duration>) -> Token {
    Token::new(
        data.token,
        lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME),
        Duration::from_secs(90 * 86_400),
    )
}

impl Openpath {
    /// One answer of `login` or `refreshLogin` read as a token.
    async fn token_call(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Token, NetError> {
        let reply = self.http.send(Method::POST, path, request).await?;
        let bad = |detail: String| self.http.bad_response(Method::POST, path, detail);
        let data = parse_login(&reply.body).map_err(bad)?;
        let lifetime = data.lifetime(SystemTime::now()).map_err(bad)?;
        Ok(token_of(data, lifetime))
    }

    /// `login` with the configured email and password.
    async fn login(&self) -> Result<Token, NetError> {
        let body = json!({"email": self.cfg.email, "password": self.cfg.password.value});
        let request = self.http.request(Method::POST, LOGIN_PATH).json(&body);
        self.token_call(LOGIN_PATH, request)
            .await
            .map_err(refused_sign_in)
    }

    /// `refreshLogin` with the current token.
    async fn refresh(&self, current: &str) -> Result<Token, NetError> {
        let request = self
            .http
            .request(Method::POST, REFRESH_PATH)
            .header(reqwest::header::AUTHORIZATION, current);
        self.token_call(REFRESH_PATH, request).await
    }

    /// A valid token (`net::token`): the cached one, a refreshed one near its expiry, or a
    /// new login when there is none or the refresh fails.
    pub(super) async fn access_token(&self) -> Result<String, NetError> {
        self.token
            .get(|old| async move {
                if let Some(old) = old {
                    match self.refresh(old.access()).await {
                        Ok(t) => return Ok(t),
                        Err(error) => {
                            let system = &self.http.name;
                            tracing::debug!(%system, %error, "token refresh failed; signing in again");
                        }
                    }
                }
                self.login().await
            })
            .await
    }
}

/// `login`'s refusals (the spec documents none: 400, 401 and 403 are read alike) as auth
/// failures with what to check. The vendor's text is kept; no configured value is added.
fn refused_sign_in(e: NetError) -> NetError {
    crate::net::sign_in_refused(e, |message| {
        format!(
            "Openpath refused the login ({message}); check email and password, and that \
             the API user needs no MFA code"
        )
    })
}
