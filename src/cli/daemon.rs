//! `lockstep run`, `plan` and `reconcile --once`: the commands that own the store and connectors.

use super::{init_logging, load_config, runtime, CliError, CliResult};
use crate::app;
use crate::checkpointer::Checkpointer;
use crate::config::{Config, LogFormat};
use crate::controller::Controller;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::notify::{Notifier, NotifyEnv};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;

pub fn open_store(config: &Config) -> Result<Store, CliError> {
    Store::open(&config.data_dir).map_err(|e| open_failed(config, &e))
}

fn open_failed(config: &Config, e: &crate::store::StoreError) -> CliError {
    CliError::failure(format!(
        "cannot open the store in {}: {e}",
        config.data_dir.display()
    ))
}

pub fn run(path: &Path) -> CliResult {
    let config = load_config(path)?;
    init_logging(&config.log.level, config.log.format == LogFormat::Json);
    let notifier = match Notifier::from_env(&NotifyEnv::from_process(), std::process::id()) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot talk to the supervisor; running without sd_notify");
            Notifier::disabled()
        }
    };
    runtime()?.block_on(serve(config, Some(path.to_path_buf()), None, notifier))
}

/// Starts the daemon with `config` and runs it until SIGTERM/SIGINT (or `Event::Shutdown` sent
/// through the returned channel by a caller such as the demo). `notifier` tells systemd.
pub async fn serve(
    config: Config,
    path: Option<PathBuf>,
    ready: Option<
        tokio::sync::oneshot::Sender<(Arc<Controller>, app::Events, std::net::SocketAddr)>,
    >,
    notifier: Notifier,
) -> CliResult {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| CliError::failure(format!("listen: cannot bind {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::failure(e.to_string()))?;
    let store = open_store(&config)?;
    let metrics = Metrics::new();
    let checkpoints = checkpointer(&config, &store, &metrics)?;
    let controller = Controller::new(config, store, metrics).map_err(CliError::usage)?;
    let recovered = controller.recover_intents();
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "unfinished intents found from a previous run; the next cycle re-observes them"
        );
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let signals = app::forward_signals(tx.clone())
        .map_err(|e| CliError::failure(format!("cannot install signal handlers: {e}")))?;
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(
        listener,
        AppState {
            controller: controller.clone(),
            events: tx.clone(),
            checkpoints: checkpoints.clone(),
            sessions: Default::default(),
        },
        async {
            let _ = http_stopped.await;
        },
    ));
    let (stop_watch, watch_stopped) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(watch_csv_sources(controller.clone(), tx.clone(), async {
        let _ = watch_stopped.await;
    }));
    tracing::info!(listen = %addr, "lockstep is running");
    if let Some(ready) = ready {
        let _ = ready.send((controller.clone(), tx.clone(), addr));
    }
    let periodic = checkpoints
        .clone()
        .map(|c| tokio::spawn(checkpoint_every(c)));
    app::run_loop(controller.clone(), rx, path, notifier).await;
    let _ = stop_watch.send(());
    let _ = watcher.await;
    if let Some(p) = periodic {
        p.abort();
    }
    if let Some(c) = &checkpoints {
        c.write_or_log("shutdown", crate::controller::now());
    }
    let _ = stop_http.send(());
    let _ = server.await;
    signals.close();
    tracing::info!("stopped");
    Ok(())
}

/// Polls the files of CSV sources (re-reading the running config each round) and brings forward
/// the next cycle of every property whose file changed.
async fn watch_csv_sources(
    controller: Arc<Controller>,
    events: app::Events,
    stop: impl std::future::Future<Output = ()>,
) {
    crate::source::csv::watch::run(
        || controller.config(),
        |property| {
            events
                .send(app::Event::Trigger(Some(property.to_string())))
                .is_ok()
        },
        stop,
    )
    .await;
}

/// The checkpoint signer when `audit.key` is configured: compares the store with the last
/// checkpoint (a mismatch is logged at error: the log was changed while the daemon was stopped)
/// and writes the start checkpoint.
fn checkpointer(
    config: &Config,
    store: &Store,
    metrics: &Arc<Metrics>,
) -> Result<Option<Arc<Checkpointer>>, CliError> {
    let Some(anchor) = &config.audit else {
        tracing::warn!(
            "audit.key is not configured: the audit log is hash-chained but not anchored"
        );
        return Ok(None);
    };
    let signer = Checkpointer::new(anchor, &config.portfolio, store.clone(), metrics.clone())
        .map_err(CliError::usage)?;
    tracing::info!(public_key = %signer.public_key(), file = %signer.file().display(), "audit checkpoints are signed");
    match signer.check_start() {
        Ok(None) => {}
        Ok(Some(problem)) => {
            tracing::error!(%problem, "the audit log does not match its last checkpoint; run `lockstep audit verify`")
        }
        Err(error) => {
            tracing::error!(%error, "cannot check the audit log against its last checkpoint")
        }
    }
    signer.write_or_log("start", crate::controller::now());
    Ok(Some(Arc::new(signer)))
}

/// Writes a checkpoint every `audit.checkpoint_interval` (the start one is already written).
async fn checkpoint_every(signer: Arc<Checkpointer>) {
    let period = signer.interval().max(std::time::Duration::from_secs(1));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        signer.write_or_log("periodic", crate::controller::now());
    }
}

/// `plan` (dry run) and `reconcile --once`.
pub fn once(
    path: &Path,
    property: Option<&str>,
    dry_run: bool,
    json: bool,
    server: &super::Server,
) -> CliResult {
    let config = load_config(path)?;
    init_logging(if json { "error" } else { &config.log.level }, false);
    if let Some(p) = property {
        if !config.properties.contains_key(p) {
            return Err(CliError::usage(format!(
                "--property: no property named {p:?} in {}",
                path.display()
            )));
        }
    }
    let ids: Vec<String> = config
        .properties
        .keys()
        .filter(|k| property.is_none_or(|p| p == k.as_str()))
        .cloned()
        .collect();
    let store = match Store::open(&config.data_dir) {
        Ok(store) => store,
        Err(e @ crate::store::StoreError::Locked { .. }) if dry_run => {
            return super::remote_plan::plan(&config, server, property, json, &e.to_string());
        }
        Err(e) => return Err(open_failed(&config, &e)),
    };
    let metrics = Metrics::new();
    let checkpoints = match dry_run {
        true => None,
        false => checkpointer(&config, &store, &metrics)?,
    };
    let controller = Controller::new(config, store, metrics).map_err(CliError::usage)?;
    let reports = runtime()?.block_on(async {
        let mut out = Vec::new();
        for id in &ids {
            match controller.reconcile(id, dry_run).await {
                Ok(r) => out.push(r),
                Err(e) => return Err(CliError::failure(e.to_string())),
            }
        }
        Ok(out)
    })?;
    let _ = controller.store.flush();
    if let Some(c) = &checkpoints {
        c.write_or_log("shutdown", crate::controller::now());
    }
    let failed = reports.iter().any(|r| r.skipped.is_some() || r.failed > 0);
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        for r in &reports {
            print_report(r, dry_run);
        }
    }
    if failed {
        Err(CliError::failure(
            "some properties were skipped or had failed actions",
        ))
    } else {
        Ok(())
    }
}

pub(super) fn print_report(r: &crate::reconcile::Report, dry_run: bool) {
    if let Some(reason) = &r.skipped {
        out!("{}: skipped: {reason}", r.property);
        return;
    }
    let verb = if dry_run { "would" } else { "planned to" };
    out!(
        "{}: {} users desired, {} actions {verb} run, {} applied, {} failed, {} suggested, {} held",
        r.property,
        r.desired_users,
        r.drift,
        r.applied,
        r.failed,
        r.suggested,
        r.held
    );
    for (system, a) in r.actions() {
        out!("  {system:<14} {:<18} {}", a.name(), a.describe());
    }
    for p in &r.problems {
        out!("  problem: {p}");
    }
    for e in &r.errors {
        out!("  error: {e}");
    }
}
