//! The command line: clap definitions and one function per subcommand.
//!
//! Exit codes (DESIGN §8): 0 success, 64 bad usage or config, 1 any other failure. Output goes
//! through [`out!`]: a closed pipe (`lockstep audit export | head`) ends the command quietly
//! with 0, never a panic.

/// `println!` for command output: a reader that went away (`| head`) ends the process quietly
/// with exit 0; any other failure to write is reported and exits 1.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod client;
mod daemon;
mod demo;
mod guest_pin;
mod journald;
mod offline;
mod remote_plan;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;
pub const EXIT_USAGE: i32 = 64;

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// Writes one line of output to stdout (see [`out!`]).
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_fmt(args)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        let e = CliError::io("standard output", &e);
        if !e.message.is_empty() {
            eprintln!("lockstep: {}", e.message);
        }
        std::process::exit(e.code);
    }
}

impl CliError {
    /// A failure to write `what`; a closed pipe is no failure: code 0 and no message.
    pub fn io(what: &str, e: &std::io::Error) -> CliError {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError {
                code: EXIT_OK,
                message: String::new(),
            }
        } else {
            CliError::failure(format!("{what}: {e}"))
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "lockstep",
    version,
    about = "Keeps door access in lockstep with leases, HR and workspace records."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes, before or after its name (`lockstep --server URL status` and
/// `lockstep status --server URL` are the same command).
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// The config file (YAML); required by run, check-config, plan and reconcile.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub server: Server,
}

/// Where client commands look for the daemon when neither --server nor LOCKSTEP_SERVER says.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:9797";

impl Server {
    /// The daemon's base URL without a trailing slash: `--server`, else `default`.
    pub fn url_or(&self, default: &str) -> String {
        let url = self
            .server
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(default);
        url.trim_end_matches('/').to_string()
    }

    /// The daemon's base URL: `--server`, else [`DEFAULT_SERVER`].
    pub fn url(&self) -> String {
        self.url_or(DEFAULT_SERVER)
    }
}

impl Global {
    /// `--config`, for the commands that cannot do without it.
    fn config(&self) -> Result<&std::path::Path, CliError> {
        self.config
            .as_deref()
            .ok_or_else(|| CliError::usage("give --config FILE"))
    }
}

/// Where a client command finds the running daemon.
#[derive(clap::Args, Debug, Clone)]
pub struct Server {
    /// Base URL of a running daemon's API (client commands, healthcheck, plan while the daemon
    /// runs); default http://127.0.0.1:9797, or for plan the config's listen address.
    #[arg(long, global = true, env = "LOCKSTEP_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// API bearer token (better passed through LOCKSTEP_TOKEN than on the command line).
    #[arg(long, global = true, env = "LOCKSTEP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the daemon (--config FILE).
    Run,
    /// Run simulators and the daemon together with generated residents and lease churn.
    Demo(demo::DemoArgs),
    /// Serve the vendor simulators alone, for your own integration tests.
    Sim(demo::SimArgs),
    /// Validate a config file; every error with its location; exit 64 if bad.
    CheckConfig {
        /// The config file (instead of --config).
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// Check secrets ({env: NAME}, {file: PATH}) for shape only, without reading them: for
        /// CI, where the secrets are absent.
        #[arg(long)]
        skip_secrets: bool,
    },
    /// Tools for writing config files (`config schema`).
    #[command(name = "config")]
    ConfigTools {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// Ask a running daemon's /healthz (--server); exit 0 when healthy, 1 otherwise. Made for
    /// container health checks: the image needs no curl.
    Healthcheck {
        /// How long to wait for the answer.
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// One dry-run cycle: what would change.
    Plan {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One real cycle of every property (or one), then exit.
    Reconcile {
        /// Run a single cycle and exit (the only mode; kept explicit for cron lines).
        #[arg(long, required = true)]
        once: bool,
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: Option<String>,
    },
    /// List, approve or discard suggestions on a running daemon.
    Suggestions {
        #[command(subcommand)]
        action: client::SuggestionsCmd,
    },
    /// Set, clear or list manual overrides on a running daemon.
    Override {
        #[command(subcommand)]
        action: client::OverrideCmd,
    },
    /// Report a lost or stolen credential: revoked at once and kept revoked.
    LostCredential {
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: String,
        /// A person id as the source names it (e.g. p1-00001).
        #[arg(long)]
        person: String,
        /// One credential id; `pin` for the PIN lockstep issued; without it every card and
        /// mobile credential of the person.
        #[arg(long)]
        credential: Option<String>,
        /// With `--credential pin`: issue a fresh PIN (delivered like the first) instead of
        /// leaving the person without one.
        #[arg(long)]
        replace: bool,
    },
    /// Create, list or cancel residents' guest and prospect PINs on a running daemon.
    GuestPin {
        #[command(subcommand)]
        action: guest_pin::GuestPinCmd,
    },
    /// Verify or export the audit log.
    Audit {
        #[command(subcommand)]
        action: offline::AuditCmd,
    },
    /// Show a running daemon's status.
    Status,
}

/// What `lockstep config` can do.
#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print a JSON Schema of the config file for editors
    /// (`lockstep config schema > lockstep.schema.json`).
    Schema,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> CliResult {
    let global = cli.global;
    let server = &global.server;
    match cli.command {
        Command::Run => daemon::run(global.config()?),
        Command::Demo(args) => demo::demo(args),
        Command::Sim(args) => demo::sim(args),
        Command::CheckConfig { file, skip_secrets } => {
            let path = match (file, &global.config) {
                (Some(_), Some(_)) => {
                    return Err(CliError::usage(
                        "give the config file once: FILE or --config",
                    ))
                }
                (Some(f), None) => f,
                (None, _) => global.config()?.to_path_buf(),
            };
            offline::check_config(&path, skip_secrets)
        }
        Command::ConfigTools {
            action: ConfigCmd::Schema,
        } => {
            out!("{}", crate::config::schema_json());
            Ok(())
        }
        Command::Healthcheck { timeout } => client::healthcheck(server, timeout),
        Command::Plan { property, json } => {
            daemon::once(global.config()?, property.as_deref(), true, json, server)
        }
        Command::Reconcile { property, .. } => {
            daemon::once(global.config()?, property.as_deref(), false, false, server)
        }
        Command::Suggestions { action } => client::suggestions(action, server),
        Command::Override { action } => client::overrides(action, server),
        Command::LostCredential {
            property,
            person,
            credential,
            replace,
        } => client::lost_credential(&property, &person, credential.as_deref(), replace, server),
        Command::GuestPin { action } => guest_pin::guest_pin(action, server),
        Command::Audit { action } => offline::audit(action, &global),
        Command::Status => client::status(server),
    }
}

/// Loads and validates a config, mapping errors to exit code 64.
pub fn load_config(path: &std::path::Path) -> Result<crate::config::Config, CliError> {
    load_config_with(path, crate::config::Secrets::Resolve)
}

/// [`load_config`], saying whether secrets are read or only checked for shape.
pub fn load_config_with(
    path: &std::path::Path,
    secrets: crate::config::Secrets,
) -> Result<crate::config::Config, CliError> {
    crate::config::Config::load_with(path, &crate::config::ProcessEnv, secrets)
        .map_err(|e| CliError::usage(format!("{}: invalid configuration:\n{e}", path.display())))
}

/// Sets up logging to stderr: text or JSON, level from the config unless `RUST_LOG` says otherwise.
pub fn init_logging(level: &str, json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    use std::io::IsTerminal;
    if !json && journald::under_journald() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .event_format(journald::Prefixed(
                tracing_subscriber::fmt::format()
                    .compact()
                    .with_target(false)
                    .with_ansi(false),
            ))
            .try_init();
        return;
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

/// A multi-threaded runtime for commands that need one.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests;
