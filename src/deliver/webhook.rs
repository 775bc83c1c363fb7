//! The webhook sink: one POST of the notice's JSON, signed exactly like lockstep's inbound events
//! (`X-Lockstep-Timestamp`, `X-Lockstep-Signature: sha256=HMAC(secret, "<ts>.<body>")`) so a
//! receiver reuses one verifier. 2xx is delivered; anything else is an error naming the status,
//! never the body.

use super::DeliverError;
use crate::config::{Secret, WebhookConfig};
use crate::source::events::sign::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use reqwest::header::CONTENT_TYPE;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// The `X-Lockstep-Sender` lockstep sends as.
pub const SENDER: &str = "lockstep";
/// One delivery's bound: connect, send and answer.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct Webhook {
    url: String,
    secret: Secret,
    client: reqwest::Client,
    /// `webhook scheme://host[:port]/…`, for messages: the path may carry a token.
    target: String,
}

impl Webhook {
    pub(super) fn new(cfg: &WebhookConfig) -> Result<Webhook, String> {
        crate::net::install_crypto();
        let url = reqwest::Url::parse(&cfg.url)
            .map_err(|e| format!("notifications.webhook.url is not a URL ({e})"))?;
        let target = match url.port() {
            Some(p) => format!(
                "webhook {}://{}:{p}/…",
                url.scheme(),
                url.host_str().unwrap_or("")
            ),
            None => format!(
                "webhook {}://{}/…",
                url.scheme(),
                url.host_str().unwrap_or("")
            ),
        };
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("lockstep/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook's HTTP client: {e}"))?;
        Ok(Webhook {
            url: cfg.url.clone(),
            secret: cfg.secret.clone(),
            client,
            target,
        })
    }

    pub(super) fn describe(&self) -> String {
        self.target.clone()
    }

    pub(super) async fn post(&self, body: Zeroizing<Vec<u8>>) -> Result<(), DeliverError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string();
        let signature = sign(self.secret.value.as_bytes(), &now, &body);
        let answer = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, &now)
            .header(SIGNATURE_HEADER, signature)
            .header(crate::source::events::sign::SENDER_HEADER, SENDER)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| DeliverError::Transport {
                target: self.target.clone(),
                message: transport(e),
            })?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliverError::Status {
                target: self.target.clone(),
                status: status.as_u16(),
            })
        }
    }
}

/// A transport error in words, without the URL (its path may carry a token) and with its causes.
fn transport(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out after 10 s"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "no answer"
    };
    let e = e.without_url();
    let mut text = format!("{kind} ({e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.push(')');
    text
}
