//! The CSV watcher: polls the size and modification time of every CSV source's files and reports
//! the properties whose file changed, so their next cycle comes forward instead of waiting for the
//! periodic reconcile. A change only brings a cycle forward; the cycle reads the file itself
//! (and refuses it if it is still being written), so a missed or spurious change costs nothing
//! but latency.
//!
//! A file modified within its source's `settle` is not reported yet (the cycle would refuse it as
//! possibly half-written and nothing would bring it forward again): it is reported at the first
//! round after it settles.
//!
//! Bounded: one `stat` per watched file per `poll_interval`, one remembered look per file (files
//! no longer in the config are forgotten). Cancellable: `run` stops when its `stop` future ends.
//! The config is read anew each round, so a reload adding, removing or re-pointing a source
//! takes effect at the next round.

use super::file_for;
use crate::config::{Config, SourceConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How long the loop sleeps when no CSV source is configured (a reload may add one).
const IDLE: Duration = Duration::from_secs(5);

/// What a file looked like at one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Look {
    Missing,
    Present {
        len: u64,
        modified: Option<SystemTime>,
    },
    Unreadable(std::io::ErrorKind),
    /// Modified within `settle` of the poll: possibly still being written.
    Settling,
}

fn look(path: &std::path::Path, settle: Duration, wall: SystemTime) -> Look {
    match std::fs::metadata(path) {
        Ok(m) => {
            let modified = m.modified().ok();
            let settling = !settle.is_zero()
                && modified
                    .is_some_and(|t| wall.duration_since(t).map_or(true, |age| age < settle));
            if settling {
                return Look::Settling;
            }
            Look::Present {
                len: m.len(),
                modified,
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Look::Missing,
        Err(e) => Look::Unreadable(e.kind()),
    }
}

/// The state of the poller between rounds.
#[derive(Debug, Default)]
pub struct Watcher {
    /// (source, file) → how it looked last time.
    seen: BTreeMap<(String, PathBuf), Look>,
    /// Source → when it is next due, and the interval that was configured then.
    due: BTreeMap<String, (Instant, Duration)>,
}

/// The files one CSV source holds for the properties reading it: file → property keys.
fn files(config: &Config, source: &str, path: &std::path::Path) -> BTreeMap<PathBuf, Vec<String>> {
    let mut out: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for (property, id) in config.properties_reading(source) {
        if let Some(file) = file_for(path, &id) {
            out.entry(file).or_default().push(property);
        }
    }
    out
}

impl Watcher {
    /// Looks at the files of every CSV source due at `now` (blocking IO; `wall` is the time of
    /// day, to judge `settle`) and returns, by source, the properties whose file appeared,
    /// disappeared or changed size or modification time since the previous look, once settled.
    /// The first look at a file only records it.
    pub fn poll(
        &mut self,
        config: &Config,
        now: Instant,
        wall: SystemTime,
    ) -> BTreeMap<String, BTreeSet<String>> {
        let csv: BTreeMap<&String, _> = config
            .sources
            .iter()
            .filter_map(|(name, s)| match s {
                SourceConfig::Csv(c) => Some((name, c)),
                _ => None,
            })
            .collect();
        self.due.retain(|name, _| csv.contains_key(name));
        let mut changed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut watched = BTreeSet::new();
        for (name, cfg) in csv {
            let files = files(config, name, &cfg.path);
            let due = match self.due.get(name) {
                Some((at, every)) => now >= *at || *every != cfg.poll_interval,
                None => true,
            };
            if !due {
                watched.extend(files.into_keys().map(|f| (name.clone(), f)));
                continue;
            }
            self.due
                .insert(name.clone(), (now + cfg.poll_interval, cfg.poll_interval));
            for (file, properties) in files {
                let key = (name.clone(), file);
                let now_looks = look(&key.1, cfg.settle, wall);
                watched.insert(key.clone());
                match self.seen.insert(key, now_looks.clone()) {
                    Some(before) if before != now_looks && now_looks != Look::Settling => {
                        changed.entry(name.clone()).or_default().extend(properties)
                    }
                    _ => {}
                }
            }
        }
        self.seen.retain(|key, _| watched.contains(key));
        changed
    }

    /// How long until the next source is due (zero if one already is).
    pub fn next_poll(&self, now: Instant) -> Duration {
        self.due
            .values()
            .map(|(at, _)| at.saturating_duration_since(now))
            .min()
            .unwrap_or(IDLE)
            .min(IDLE)
    }

    /// How many files are being watched (for tests and status).
    pub fn watched_files(&self) -> usize {
        self.seen.len()
    }
}

/// Polls until `stop` completes, calling `trigger(property)` for every property whose CSV file
/// changed; stops early if `trigger` returns false (the event loop is gone). `config` is asked
/// for the current configuration every round.
pub async fn run<C, T, S>(config: C, mut trigger: T, stop: S)
where
    C: Fn() -> Arc<Config>,
    T: FnMut(&str) -> bool,
    S: Future<Output = ()>,
{
    tokio::pin!(stop);
    let mut watcher = Watcher::default();
    loop {
        let cfg = config();
        let (now, wall) = (Instant::now(), SystemTime::now());
        let polled = tokio::task::spawn_blocking(move || {
            let changed = watcher.poll(&cfg, now, wall);
            (watcher, changed)
        });
        let (w, changed) = tokio::select! {
            _ = &mut stop => return,
            polled = polled => match polled {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "the CSV watcher stopped");
                    return;
                }
            },
        };
        watcher = w;
        for (source, properties) in changed {
            tracing::info!(
                source = %source,
                properties = properties.len(),
                "CSV source changed; bringing its properties' next cycle forward"
            );
            for property in properties {
                if !trigger(&property) {
                    return;
                }
            }
        }
        let wait = watcher.next_poll(Instant::now());
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests;
