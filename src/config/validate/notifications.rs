//! The `notifications` section: exactly one sink, an outbox path or a webhook whose URL is
//! http(s) with a host (plain http only to a loopback host: a PIN crosses no network in clear)
//! and whose secret is long enough to sign with.

use super::events::MIN_SECRET;
use super::Check;
use crate::config::raw::{RawNotifications, RawWebhook};
use crate::config::{NotificationsConfig, Secrets, WebhookConfig};
use reqwest::Url;
use std::path::PathBuf;

/// `None` without a `notifications` section; every problem is recorded with its path.
pub(super) fn sink(
    c: &mut Check<'_>,
    raw: Option<&RawNotifications>,
) -> Option<NotificationsConfig> {
    let raw = raw?;
    match (&raw.outbox, &raw.webhook) {
        (Some(_), Some(_)) => {
            c.err(
                "notifications",
                "give exactly one of outbox or webhook, not both",
            );
            None
        }
        (None, None) => {
            c.err(
                "notifications",
                "give one of outbox (a file path) or webhook (url and secret)",
            );
            None
        }
        (Some(_), None) => {
            let path = c.required("notifications.outbox", &raw.outbox);
            if path.contains('\0') {
                c.err("notifications.outbox", "is not a valid path");
            }
            Some(NotificationsConfig::Outbox(PathBuf::from(path)))
        }
        (None, Some(w)) => Some(NotificationsConfig::Webhook(webhook(c, w))),
    }
}

fn webhook(c: &mut Check<'_>, raw: &RawWebhook) -> WebhookConfig {
    let path = "notifications.webhook.url";
    let url = c.required(path, &raw.url);
    if !url.is_empty() {
        if let Err(problem) = check_url(&url) {
            c.err(path, format!("{url:?} {problem}"));
        }
    }
    let secret = c.secret("notifications.webhook.secret", &raw.secret);
    // With --skip-secrets nothing was read: only the reference's shape can be checked.
    if c.secrets != Secrets::ShapeOnly
        && secret.origin != "missing"
        && secret.value.chars().count() < MIN_SECRET
    {
        c.err(
            "notifications.webhook.secret",
            format!(
                "the secret from {} is shorter than {MIN_SECRET} characters (the value is not \
                 shown); generate one with `openssl rand -hex 32`",
                secret.origin
            ),
        );
    }
    WebhookConfig { url, secret }
}

/// Why a webhook URL is refused, said after the URL itself.
fn check_url(text: &str) -> Result<(), String> {
    // Checked as written: URL parsing would read `https:///x` as the host `x`.
    if let Some((_, rest)) = text.split_once("://") {
        if rest.is_empty() || rest.starts_with('/') {
            return Err("has no host".into());
        }
    }
    let url = Url::parse(text).map_err(|e| format!("is not a URL ({e})"))?;
    let host = match url.host_str() {
        None | Some("") => return Err("has no host".into()),
        Some(h) => h.trim_start_matches('[').trim_end_matches(']'),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(
            "is plain http to a host that is not loopback: PINs would cross the network in \
             clear; use https://"
                .into(),
        ),
        _ => Err("must start with https:// (or http:// to a loopback host)".into()),
    }
}
