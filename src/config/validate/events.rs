//! `type: events` sources: at least one sender, each with a name fit for a header and a secret
//! resolved like every other secret (and long enough to sign with); sender names unique across
//! every events source, since the `X-Lockstep-Sender` header alone says whose secret to use.

use super::Check;
use crate::config::raw::RawSource;
use crate::config::{Endpoint, EventsConfig, SourceConfig};
use std::collections::BTreeMap;
use std::time::Duration;

/// The shortest secret accepted: 16 characters (an HMAC key guessed by brute force is a forged
/// event; a generated secret is 32 or more).
pub const MIN_SECRET: usize = 16;

/// Longest sender name (it travels in a header and appears in logs and the audit log).
const MAX_SENDER: usize = 64;

/// A `type: events` source.
pub(super) fn events(
    c: &mut Check<'_>,
    base: &str,
    s: &RawSource,
    stale_after: Duration,
) -> EventsConfig {
    let field = |f: &str| format!("{base}.{f}");
    super::connectors::reject(
        c,
        base,
        "events",
        &[
            ("url", s.url.is_some()),
            ("timeout", s.timeout.is_some()),
            ("requests_per_second", s.requests_per_second.is_some()),
            ("username", s.username.is_some()),
            ("password", s.password.is_some()),
            ("server_name", s.server_name.is_some()),
            ("database", s.database.is_some()),
            ("platform", s.platform.is_some()),
            ("interface_entity", s.interface_entity.is_some()),
            ("interface_license", s.interface_license.is_some()),
            ("path", s.path.is_some()),
            ("settle", s.settle.is_some()),
            ("delimiter", s.delimiter.is_some()),
            ("poll_interval", s.poll_interval.is_some()),
        ],
    );
    if s.senders.is_empty() {
        c.err(
            field("senders"),
            "at least one sender is required (name: {secret: {env: NAME}})",
        );
    }
    let mut senders = BTreeMap::new();
    for (name, sender) in &s.senders {
        let path = format!("{base}.senders.{name}");
        let fits = !name.is_empty()
            && name.len() <= MAX_SENDER
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !fits {
            c.err(
                &path,
                format!(
                    "a sender name is 1 to {MAX_SENDER} letters, digits, '-', '_' or '.' (it is \
                     sent in the X-Lockstep-Sender header)"
                ),
            );
        }
        let secret = c.secret(&format!("{path}.secret"), &sender.secret);
        // With --skip-secrets nothing was read: only the reference's shape can be checked.
        let read = c.secrets != super::Secrets::ShapeOnly;
        if read && secret.origin != "missing" && secret.value.chars().count() < MIN_SECRET {
            c.err(
                format!("{path}.secret"),
                format!(
                    "the secret from {} is shorter than {MIN_SECRET} characters (the value is \
                     not shown); generate one with `openssl rand -hex 32`",
                    secret.origin
                ),
            );
        }
        senders.insert(name.clone(), secret);
    }
    EventsConfig {
        endpoint: Endpoint {
            url: "events:/api/v1/events".into(),
            timeout: Duration::from_secs(30),
            requests_per_second: None,
            stale_after,
        },
        senders,
    }
}

/// A sender name used by two events sources: its header could not say which secret applies.
pub(super) fn unique_senders(c: &mut Check<'_>, sources: &BTreeMap<String, SourceConfig>) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (source, config) in sources {
        let SourceConfig::Events(e) = config else {
            continue;
        };
        for sender in e.senders.keys() {
            if let Some(first) = seen.insert(sender, source) {
                c.err(
                    format!("sources.{source}.senders.{sender}"),
                    format!("sender {sender:?} is also a sender of source {first:?}; sender names must be unique"),
                );
            }
        }
    }
}
