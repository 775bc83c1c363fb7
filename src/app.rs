//! Wiring and the event loop: every cause of work is an `Event`, handled in one `match`.
//!
//! Ticks run a full reconcile of every property; triggers bring one property's next cycle
//! forward; SIGHUP reloads the config (validated first, swapped atomically); SIGTERM/SIGINT stop
//! starting actions, let in-flight ones finish within the grace period, flush the store and exit.
//! The supervisor hears of each step through `notify` (ready, watchdog, reloading, stopping).

use crate::config::{Config, ProcessEnv};
use crate::controller::Controller;
use crate::model::Timestamp;
use crate::notify::Notifier;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

/// Everything that makes the daemon do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The periodic full reconcile.
    Tick,
    /// Bring the next cycle of one property (or all) forward.
    Trigger(Option<String>),
    /// Re-read the config file (SIGHUP).
    Reload,
    /// A property's desired state changes by the clock now (a window opens or closes): run
    /// every property whose due time has come.
    Due,
    /// Stop gracefully (SIGTERM, SIGINT, Ctrl-C).
    Shutdown,
}

/// The sending side of the event loop, handed to the API and signal handlers.
pub type Events = mpsc::UnboundedSender<Event>;

/// Forwards SIGHUP, SIGTERM and SIGINT into the event loop from a dedicated thread.
pub fn forward_signals(events: Events) -> std::io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let event = if signal == SIGHUP {
                    Event::Reload
                } else {
                    Event::Shutdown
                };
                if events.send(event).is_err() {
                    break;
                }
            }
        })?;
    Ok(handle)
}

/// Runs the loop until `Event::Shutdown`. `config_path` is re-read on `Event::Reload`.
///
/// `WATCHDOG=1` is sent from this loop's own `select!`, so it stops when the loop stops turning
/// (a reload or a branch that hangs), and systemd restarts the daemon.
pub async fn run_loop(
    controller: Arc<Controller>,
    mut rx: mpsc::UnboundedReceiver<Event>,
    config_path: Option<PathBuf>,
    notifier: Notifier,
) {
    let mut config = controller.config();
    let mut interval = ticker(config.interval);
    let watchdog_every = notifier.watchdog_every();
    let mut watchdog = tokio::time::interval(watchdog_every.unwrap_or(Duration::from_secs(3600)));
    watchdog.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut semaphore = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks: JoinSet<(String, Option<Timestamp>)> = JoinSet::new();
    let mut running = BTreeSet::new();
    let mut again = BTreeSet::new();
    let mut done_once = BTreeSet::new();
    // Property → the instant its desired state next changes by the clock alone.
    let mut due: BTreeMap<String, Timestamp> = BTreeMap::new();
    loop {
        let wake = due.values().min().copied();
        let event = tokio::select! {
            _ = interval.tick() => Event::Tick,
            _ = sleep_until_unix(wake.unwrap_or_default()), if wake.is_some() => Event::Due,
            _ = watchdog.tick(), if watchdog_every.is_some() => {
                notifier.watchdog();
                continue;
            }
            Some(e) = rx.recv() => e,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok((property, next)) = done {
                    match next {
                        Some(t) => due.insert(property.clone(), t),
                        None => due.remove(&property),
                    };
                    // Set here, by the loop, so the gauge goes stale when the loop stops cycling.
                    controller.metrics.last_cycle_timestamp.set(crate::metrics::unix_now());
                    running.remove(&property);
                    done_once.insert(property.clone());
                    if config.properties.keys().all(|p| done_once.contains(p)) {
                        become_ready(&controller, &notifier, config.properties.len());
                    }
                    if again.remove(&property) {
                        spawn_cycle(&controller, &semaphore, &mut tasks, &mut running, &mut again, property);
                    }
                }
                continue;
            }
        };
        match event {
            Event::Tick | Event::Trigger(None) => {
                for property in controller.schedule_order() {
                    spawn_cycle(
                        &controller,
                        &semaphore,
                        &mut tasks,
                        &mut running,
                        &mut again,
                        property,
                    );
                }
                if config.properties.is_empty() {
                    become_ready(&controller, &notifier, 0);
                }
            }
            Event::Due => {
                let now = crate::controller::now();
                let ready: Vec<String> = due
                    .iter()
                    .filter(|(_, t)| **t <= now)
                    .map(|(p, _)| p.clone())
                    .collect();
                for property in ready {
                    due.remove(&property);
                    if config.properties.contains_key(&property) {
                        spawn_cycle(
                            &controller,
                            &semaphore,
                            &mut tasks,
                            &mut running,
                            &mut again,
                            property,
                        );
                    }
                }
            }
            Event::Trigger(Some(property)) => {
                if config.properties.contains_key(&property) {
                    spawn_cycle(
                        &controller,
                        &semaphore,
                        &mut tasks,
                        &mut running,
                        &mut again,
                        property,
                    );
                }
            }
            Event::Reload => {
                // Before the first full cycle READY=1 would announce readiness too early: the
                // reload's outcome is then only a status line.
                let ready = controller.is_ready();
                if ready {
                    notifier.reloading();
                }
                let result = reload(&controller, config_path.as_ref());
                let status = reload_status(&result, config_path.as_ref());
                if ready {
                    notifier.ready(&status);
                } else {
                    notifier.status(&status);
                }
                if result.is_ok() {
                    let new = controller.config();
                    if new.interval != config.interval {
                        interval = ticker(new.interval);
                    }
                    if new.concurrency != config.concurrency {
                        semaphore = Arc::new(Semaphore::new(new.concurrency));
                    }
                    config = new;
                }
            }
            Event::Shutdown => break,
        }
    }
    notifier.stopping("stopping: finishing in-flight actions, then flushing the store");
    shutdown(&controller, tasks, config.shutdown_grace).await;
}

/// Marks the daemon ready once (readyz, the `lockstep_ready` gauge) and tells the supervisor.
fn become_ready(controller: &Controller, notifier: &Notifier, properties: usize) {
    if controller.is_ready() {
        return;
    }
    controller.mark_ready();
    tracing::info!(properties, "first full cycle done; ready");
    notifier.ready(&format!(
        "ready: first full cycle of {properties} properties done"
    ));
}

/// The `STATUS=` line after a reload: accepted, or rejected and why.
pub fn reload_status(result: &Result<(), String>, path: Option<&PathBuf>) -> String {
    let file = path.map_or_else(
        || "(embedded config)".to_string(),
        |p| p.display().to_string(),
    );
    match result {
        Ok(()) => format!("configuration {file} accepted and running"),
        Err(why) => format!("configuration {file} rejected, the previous one keeps running: {why}"),
    }
}

/// Sleeps until the Unix second `t` has begun (a few milliseconds past, so the cycle's clock
/// reads `t`). Waking early only costs a cycle that schedules the same instant again.
async fn sleep_until_unix(t: Timestamp) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let target = Duration::from_secs(t.max(0) as u64) + Duration::from_millis(5);
    tokio::time::sleep(target.saturating_sub(now)).await;
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut interval = tokio::time::interval(period.max(Duration::from_millis(100)));
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

/// Starts a cycle unless one of the same property is running; then it runs again right after.
fn spawn_cycle(
    controller: &Arc<Controller>,
    semaphore: &Arc<Semaphore>,
    tasks: &mut JoinSet<(String, Option<Timestamp>)>,
    running: &mut BTreeSet<String>,
    again: &mut BTreeSet<String>,
    property: String,
) {
    if controller.stop.load(Ordering::SeqCst) {
        return;
    }
    if !running.insert(property.clone()) {
        again.insert(property);
        return;
    }
    let controller = controller.clone();
    let semaphore = semaphore.clone();
    tasks.spawn(async move {
        let _permit = semaphore.acquire_owned().await;
        let mut next = None;
        match controller.reconcile(&property, false).await {
            Ok(report) if report.skipped.is_none() => {
                next = report.next_due;
                tracing::info!(
                property = %property,
                drift = report.drift,
                applied = report.applied,
                failed = report.failed,
                suggested = report.suggested,
                pending = report.pending_suggestions,
                held = report.held,
                "cycle done"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(property = %property, error = %e, "cycle failed"),
        }
        (property, next)
    });
}

/// Validates and swaps in the config file; a bad file keeps the old config running and its
/// errors (paths and messages, never secret values) come back as the `Err`.
pub fn reload(controller: &Controller, path: Option<&PathBuf>) -> Result<(), String> {
    let Some(path) = path else {
        tracing::warn!(
            "reload requested, but this daemon runs an embedded config; nothing to re-read"
        );
        return Err("this daemon runs an embedded config; there is no file to re-read".into());
    };
    let result = Config::load(path, &ProcessEnv)
        .map_err(|e| e.to_string())
        .and_then(|c| controller.reload(c, "operator"));
    let portfolio = controller.config().portfolio.clone();
    match result {
        Ok(()) => {
            controller
                .metrics
                .config_reloads
                .with_label_values(&["success"])
                .inc();
            tracing::info!(path = %path.display(), "configuration reloaded");
            Ok(())
        }
        Err(errors) => {
            controller
                .metrics
                .config_reloads
                .with_label_values(&["failure"])
                .inc();
            tracing::error!(path = %path.display(), errors = %errors, "configuration rejected; the previous one keeps running");
            let mut d = crate::controller::event(
                &portfolio,
                None,
                "config_reload",
                "operator",
                crate::store::Outcome::Failed,
                "new configuration rejected",
                crate::controller::now(),
            );
            d.error = Some(errors.clone());
            controller.audit(vec![d]);
            Err(errors)
        }
    }
}

async fn shutdown(
    controller: &Controller,
    mut tasks: JoinSet<(String, Option<Timestamp>)>,
    grace: Duration,
) {
    tracing::info!("shutting down: no new actions; finishing in-flight ones");
    controller.stop.store(true, Ordering::SeqCst);
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(grace = ?grace, "grace period over; unfinished actions stay journaled and are re-observed on start");
        tasks.abort_all();
    }
    if let Err(e) = controller.store.flush() {
        tracing::error!(error = %e, "could not flush the store");
    }
}
