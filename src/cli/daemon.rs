//! `lockstep run`, `plan` and `reconcile --once`: the commands that own the store and connectors.

use super::{init_logging, load_config, runtime, CliError, CliResult};
use crate::app;
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
    Store::open(&config.data_dir).map_err(|e| {
        CliError::failure(format!(
            "cannot open the store in {}: {e}",
            config.data_dir.display()
        ))
    })
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
        },
        async {
            let _ = http_stopped.await;
        },
    ));
    tracing::info!(listen = %addr, "lockstep is running");
    if let Some(ready) = ready {
        let _ = ready.send((controller.clone(), tx.clone(), addr));
    }
    app::run_loop(controller.clone(), rx, path, notifier).await;
    let _ = stop_http.send(());
    let _ = server.await;
    signals.close();
    tracing::info!("stopped");
    Ok(())
}

/// `plan` (dry run) and `reconcile --once`.
pub fn once(path: &Path, property: Option<&str>, dry_run: bool, json: bool) -> CliResult {
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
    let store = open_store(&config)?;
    let controller = Controller::new(config, store, Metrics::new()).map_err(CliError::usage)?;
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
    let failed = reports.iter().any(|r| r.skipped.is_some() || r.failed > 0);
    if json {
        println!(
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

fn print_report(r: &crate::reconcile::Report, dry_run: bool) {
    if let Some(reason) = &r.skipped {
        println!("{}: skipped: {reason}", r.property);
        return;
    }
    let verb = if dry_run { "would" } else { "planned to" };
    println!(
        "{}: {} users desired, {} actions {verb} run, {} applied, {} failed, {} suggested, {} held",
        r.property, r.desired_users, r.drift, r.applied, r.failed, r.suggested, r.held
    );
    for a in &r.plan.actions {
        println!("  {:<18} {}", a.name(), a.describe());
    }
    for p in &r.problems {
        println!("  problem: {p}");
    }
    for e in &r.errors {
        println!("  error: {e}");
    }
}
