//! Commands that work on files alone: `check-config` and `audit verify|export` on a stopped
//! daemon's data dir (or, for export, through a running daemon's API); verification against
//! checkpoints lives in `verify.rs`.

use super::{load_config, load_config_with, CliError, CliResult, Global};
use crate::store::{AuditFilter, ExportFormat, Store};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};

// Parsed once per process; the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Check the audit log's hash chain and, given checkpoints, that it still holds every entry
    /// they signed (exit 1 if not). Works on a stopped daemon's store or an exported file; never
    /// creates a store.
    Verify {
        /// A stopped daemon's data directory (instead of --config).
        #[arg(long, conflicts_with = "export")]
        data_dir: Option<PathBuf>,
        /// A checkpoint file (repeatable); default with --config: the configured one.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// Verify a JSON-lines export (with --include-checkpoints) instead of a store.
        #[arg(long)]
        export: Option<PathBuf>,
        #[command(flatten)]
        trust: super::verify::Trust,
    },
    /// Print the running daemon's current signed checkpoint as one JSON line.
    Checkpoint,
    /// Print the public key that verifies checkpoints, derived from the signing key.
    PublicKey {
        /// The audit signing key: a file holding the Ed25519 seed as hex (instead of --config).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Export audit entries as CSV or JSON lines.
    Export {
        #[command(flatten)]
        at: DataDir,
        /// csv or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// From this time (RFC 3339 or Unix seconds).
        #[arg(long)]
        from: Option<String>,
        /// Up to this time (RFC 3339 or Unix seconds).
        #[arg(long)]
        to: Option<String>,
        /// A property id as in the config (e.g. p1).
        #[arg(long)]
        property: Option<String>,
        /// A person id as the source names it (e.g. p1-00001).
        #[arg(long)]
        person: Option<String>,
        /// Only entries of this action (e.g. suggestion_approved).
        #[arg(long)]
        action: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Ask a running daemon instead of reading the data dir.
        #[arg(long)]
        via_api: bool,
        /// Append the signed checkpoints (jsonl only) so the export can be verified alone with
        /// `audit verify --export FILE --public-key HEX`.
        #[arg(long, conflicts_with = "via_api")]
        include_checkpoints: bool,
        /// Checkpoint files to include (repeatable); default with --config: the configured one.
        #[arg(long = "checkpoint", requires = "include_checkpoints")]
        checkpoints: Vec<PathBuf>,
    },
}

/// Where the store is: the config's `data_dir` (global `--config`), or a directory given directly.
#[derive(clap::Args, Debug)]
pub struct DataDir {
    /// A stopped daemon's data directory (instead of --config).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl DataDir {
    fn open(&self, config: Option<&Path>) -> Result<Store, CliError> {
        let dir = match (config, &self.data_dir) {
            (Some(_), Some(_)) => {
                return Err(CliError::usage(
                    "give --config FILE or --data-dir DIR, not both",
                ))
            }
            (_, Some(d)) => d.clone(),
            (Some(c), None) => load_config(c)?.data_dir,
            (None, None) => return Err(CliError::usage("give --config FILE or --data-dir DIR")),
        };
        if !dir.exists() {
            return Err(CliError::usage(format!(
                "data dir {} does not exist",
                dir.display()
            )));
        }
        Store::open(&dir).map_err(|e| CliError::failure(format!("cannot open the store in {}: {e} (a running daemon holds it: stop it, or use --via-api)", dir.display())))
    }
}

/// `check-config`: every error at once (exit 64), or one line saying what the file holds.
pub fn check_config(path: &Path, skip_secrets: bool) -> CliResult {
    let secrets = match skip_secrets {
        true => crate::config::Secrets::ShapeOnly,
        false => crate::config::Secrets::Resolve,
    };
    let config = load_config_with(path, secrets)?;
    out!(
        "{}: ok ({} properties, {} sources, {} access systems{})",
        path.display(),
        config.properties.len(),
        config.sources.len(),
        config.access_systems.len(),
        if skip_secrets {
            "; secrets checked for shape only"
        } else {
            ""
        }
    );
    Ok(())
}

pub fn audit(cmd: AuditCmd, global: &Global) -> CliResult {
    let config = global.config.clone();
    let server = &global.server;
    match cmd {
        AuditCmd::Verify {
            data_dir,
            checkpoints,
            export,
            trust,
        } => {
            if config.is_some() && (data_dir.is_some() || export.is_some()) {
                return Err(CliError::usage(
                    "give one of --config FILE, --data-dir DIR or --export FILE",
                ));
            }
            super::verify::verify(super::verify::VerifyArgs {
                config,
                data_dir,
                checkpoints,
                export,
                trust,
            })
        }
        AuditCmd::Checkpoint => super::verify::checkpoint(server),
        AuditCmd::PublicKey { key_file } => {
            if config.is_some() && key_file.is_some() {
                return Err(CliError::usage(
                    "give --key-file FILE or --config FILE, not both",
                ));
            }
            super::verify::public_key(config.as_deref(), key_file.as_deref())
        }
        AuditCmd::Export {
            at,
            format,
            from,
            to,
            property,
            person,
            action,
            output,
            via_api,
            include_checkpoints,
            checkpoints,
        } => {
            let fmt: ExportFormat = format
                .parse()
                .map_err(|e| CliError::usage(format!("--format: {e}")))?;
            let anchors = match include_checkpoints {
                false => Vec::new(),
                true if fmt != ExportFormat::Jsonl => {
                    return Err(CliError::usage(
                        "--include-checkpoints needs --format jsonl",
                    ))
                }
                true => {
                    let config = config.as_deref().map(load_config).transpose()?;
                    super::verify::for_export(&checkpoints, config.as_ref())?
                }
            };
            let mut out: Box<dyn Write> = match &output {
                Some(p) => Box::new(
                    std::fs::File::create(p)
                        .map_err(|e| CliError::failure(format!("{}: {e}", p.display())))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            if via_api {
                let mut q = vec![format!("format={format}"), "limit=100000".to_string()];
                for (k, v) in [
                    ("from", &from),
                    ("to", &to),
                    ("property", &property),
                    ("person", &person),
                    ("action", &action),
                ] {
                    if let Some(v) = v {
                        q.push(format!("{k}={v}"));
                    }
                }
                let value = super::client::call(
                    server,
                    reqwest::Method::GET,
                    &format!("/api/v1/audit?{}", q.join("&")),
                    None,
                )?;
                let text = value
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| value.to_string());
                return out
                    .write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::io("the export", &e));
            }
            let parse = |field: &str, v: &Option<String>| {
                v.as_deref()
                    .map(|t| crate::http::parse_time(field, t))
                    .transpose()
                    .map_err(CliError::usage)
            };
            let filter = AuditFilter {
                from: parse("--from", &from)?,
                to: parse("--to", &to)?,
                property,
                person,
                action,
                after_seq: None,
                limit: None,
            };
            let store = at.open(config.as_deref())?;
            let entries = store
                .audit()
                .range(&filter)
                .map_err(|e| CliError::failure(e.to_string()))?;
            let written = match fmt {
                ExportFormat::Csv => crate::store::write_csv(&entries, &mut out),
                ExportFormat::Jsonl => crate::store::write_jsonl(&entries, &mut out),
            };
            written
                .and_then(|()| crate::store::write_checkpoint_lines(&anchors, &mut out))
                .and_then(|()| out.flush())
                .map_err(|e| CliError::io("the export", &e))
        }
    }
}
