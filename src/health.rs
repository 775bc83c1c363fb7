//! Quarantine: a source or access system that keeps failing (bad credentials, an outage) is
//! retried at a slow cadence instead of every cycle, and released by its first success. Other
//! properties and systems carry on at full speed.

use crate::config::Config;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Consecutive failed cycles before a connector is quarantined.
pub const QUARANTINE_AFTER: u32 = 3;

#[derive(Debug, Clone, Default)]
struct Entry {
    failures: u32,
    quarantined: bool,
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// What status and metrics show for one connector.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConnectorHealth {
    pub consecutive_failures: u32,
    pub quarantined: bool,
    pub last_error: Option<String>,
}

/// Health of every source and access system, by configured name.
pub struct Health {
    entries: Mutex<BTreeMap<String, Entry>>,
    /// How often a quarantined connector is probed.
    pub retry_every: Duration,
}

impl Health {
    pub fn new(retry_every: Duration) -> Health {
        Health {
            entries: Mutex::new(BTreeMap::new()),
            retry_every,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a cycle may use this connector now: always unless quarantined, and then once per
    /// `retry_every` as a probe.
    pub fn allow(&self, name: &str, now: Instant) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(name.to_string()).or_default();
        if !entry.quarantined {
            return true;
        }
        let due = entry
            .last_attempt
            .is_none_or(|t| now.duration_since(t) >= self.retry_every);
        if due {
            entry.last_attempt = Some(now);
        }
        due
    }

    /// Records a success; returns true when this released a quarantine.
    pub fn success(&self, name: &str) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(name.to_string()).or_default();
        let released = entry.quarantined;
        *entry = Entry::default();
        released
    }

    /// Records a failure; returns true when this put the connector in quarantine.
    pub fn failure(&self, name: &str, error: &str, now: Instant) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(name.to_string()).or_default();
        entry.failures = entry.failures.saturating_add(1);
        entry.last_error = Some(error.to_string());
        entry.last_attempt = Some(now);
        let newly = !entry.quarantined && entry.failures >= QUARANTINE_AFTER;
        entry.quarantined |= newly;
        newly
    }

    pub fn get(&self, name: &str) -> ConnectorHealth {
        let entries = self.lock();
        let e = entries.get(name).cloned().unwrap_or_default();
        ConnectorHealth {
            consecutive_failures: e.failures,
            quarantined: e.quarantined,
            last_error: e.last_error,
        }
    }

    pub fn is_quarantined(&self, name: &str) -> bool {
        self.lock().get(name).is_some_and(|e| e.quarantined)
    }

    /// On reload: a connector whose configuration changed (new credentials, URL, timeouts) or
    /// that left the config starts with a clean record, since its failures were those of the old
    /// settings; an operator who fixed a key should not wait out `quarantine_retry`. Returns the
    /// connectors still configured whose quarantine this lifted.
    pub fn reset_changed(&self, old: &Config, new: &Config) -> Vec<String> {
        let sources = old
            .sources
            .iter()
            .filter(|(name, cfg)| new.sources.get(*name) != Some(*cfg))
            .map(|(name, _)| (name, new.sources.contains_key(name)));
        let systems = old
            .access_systems
            .iter()
            .filter(|(name, cfg)| new.access_systems.get(*name) != Some(*cfg))
            .map(|(name, _)| (name, new.access_systems.contains_key(name)));
        let mut entries = self.lock();
        let mut lifted = Vec::new();
        for (name, kept) in sources.chain(systems) {
            let was = entries.remove(name.as_str()).is_some_and(|e| e.quarantined);
            if was && kept {
                lifted.push(name.clone());
            }
        }
        lifted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantines_after_repeated_failures_probes_slowly_and_releases() {
        let h = Health::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(h.allow("kisi", t0));
        assert!(!h.failure("kisi", "401", t0));
        assert!(!h.failure("kisi", "401", t0));
        assert!(h.failure("kisi", "401", t0), "third failure quarantines");
        assert!(h.is_quarantined("kisi"));
        assert!(
            !h.allow("kisi", t0 + Duration::from_secs(10)),
            "no probe before retry_every"
        );
        assert!(
            h.allow("kisi", t0 + Duration::from_secs(61)),
            "probe when due"
        );
        assert!(
            !h.allow("kisi", t0 + Duration::from_secs(62)),
            "one probe per period"
        );
        assert!(h.allow("brivo", t0), "others unaffected");
        assert!(h.success("kisi"), "a success releases");
        assert!(h.allow("kisi", t0 + Duration::from_secs(63)));
        assert_eq!(h.get("kisi").consecutive_failures, 0);
    }

    fn config(kisi_key: &str, yardi_url: &str) -> Config {
        let yaml = format!(
            "portfolio: t\ndata_dir: /tmp/unused\n\
             sources:\n  y:\n    type: yardi_voyager\n    url: {yardi_url}\n    username: u\n    password: p\n    server_name: s\n    database: d\n    platform: SQL Server\n    interface_entity: e\n    interface_license: l\n\
             access_systems:\n  kisi:\n    type: kisi\n    url: http://127.0.0.1:1\n    api_key: {kisi_key}\n  brivo-untouched:\n    type: kisi\n    url: http://127.0.0.1:2\n    api_key: b\n"
        );
        Config::from_yaml_str(&yaml, &crate::config::ProcessEnv).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_reload_lifts_quarantine_only_of_connectors_whose_config_changed() {
        let h = Health::new(Duration::from_secs(3600));
        let t0 = Instant::now();
        for name in ["kisi", "brivo-untouched", "y"] {
            for _ in 0..QUARANTINE_AFTER {
                h.failure(name, "401", t0);
            }
            assert!(h.is_quarantined(name));
        }
        let old = config("old-key", "http://127.0.0.1:3");
        // Same settings: nothing lifted.
        assert!(h.reset_changed(&old, &old).is_empty());
        assert!(h.is_quarantined("kisi"));
        let new = config("new-key", "http://127.0.0.1:4");
        let lifted = h.reset_changed(&old, &new);
        assert_eq!(lifted, vec!["y".to_string(), "kisi".to_string()]);
        assert!(!h.is_quarantined("kisi") && h.allow("kisi", t0));
        assert_eq!(h.get("kisi").consecutive_failures, 0);
        assert!(!h.is_quarantined("y"));
        assert!(
            h.is_quarantined("brivo-untouched"),
            "unchanged stays quarantined"
        );
    }
}
