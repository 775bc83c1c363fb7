//! `audit verify`, `audit checkpoint` and `audit public-key`: checking the audit log against
//! signed checkpoints, in a stopped daemon's store or in an exported file.
//!
//! Verify never creates a store: a missing one is reported (and, when a checkpoint says entries
//! had been written, is a failure). With no checkpoint it still checks the hash chain but says
//! plainly that the log is not anchored.

use super::{load_config, CliError, CliResult, Server};
use crate::config::Config;
use crate::store::{
    anchor_seqs, check_anchors, parse_export, read_checkpoints, walk_entries, AuditKey,
    CheckpointFileError, Located, PublicKey, Seen, Store, VerifyReport,
};
use std::path::{Path, PathBuf};

/// Whose signatures to trust.
#[derive(clap::Args, Debug)]
pub struct Trust {
    /// The checkpoint signer's public key, 64 hex characters (`lockstep audit public-key`).
    #[arg(long)]
    public_key: Option<String>,
    /// The signing key file; its public key is derived from it.
    #[arg(long, conflicts_with = "public_key")]
    key_file: Option<PathBuf>,
}

/// What `audit verify` was asked to check.
pub struct VerifyArgs {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub checkpoints: Vec<PathBuf>,
    pub export: Option<PathBuf>,
    pub trust: Trust,
}

fn read_key_file(path: &Path) -> Result<AuditKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::failure(format!("cannot read the key file {}: {e}", path.display()))
    })?;
    AuditKey::from_hex(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// The trusted public key: `--public-key`, `--key-file`, else the config's `audit.key`.
fn trusted(trust: &Trust, config: Option<&Config>) -> Result<Option<PublicKey>, CliError> {
    if let Some(hex) = &trust.public_key {
        return PublicKey::from_hex(hex)
            .map(Some)
            .map_err(|e| CliError::usage(format!("--public-key: {e}")));
    }
    if let Some(path) = &trust.key_file {
        return read_key_file(path).map(|k| Some(*k.public()));
    }
    match config.and_then(|c| c.audit.as_ref()) {
        Some(anchor) => anchor
            .signing_key()
            .map(|k| Some(*k.public()))
            .map_err(CliError::usage),
        None => Ok(None),
    }
}

fn read_file(path: &Path) -> Result<Vec<Located>, CliError> {
    let all = read_checkpoints(path).map_err(|e| match &e {
        CheckpointFileError::Read { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            CliError::failure(format!(
                "the checkpoint file {} does not exist (a daemon with audit.key writes one at \
                 start: it was deleted, moved, or the daemon never ran with this config)",
                path.display()
            ))
        }
        _ => CliError::failure(e.to_string()),
    })?;
    if all.is_empty() {
        return Err(CliError::failure(format!(
            "the checkpoint file {} holds no checkpoint (emptied?)",
            path.display()
        )));
    }
    Ok(all)
}

/// `--checkpoint` files, else the configured one.
fn checkpoints(args: &VerifyArgs, config: Option<&Config>) -> Result<Vec<Located>, CliError> {
    let configured = config
        .and_then(|c| c.audit.as_ref())
        .map(|a| a.checkpoint_file());
    let files: Vec<PathBuf> = match (&args.checkpoints[..], configured) {
        ([], Some(file)) => vec![file],
        (given, _) => given.to_vec(),
    };
    let mut out = Vec::new();
    for file in files {
        out.extend(read_file(&file)?);
    }
    Ok(out)
}

/// Walks the chain of the export or the store; `notes` says what could not be found.
fn walk(
    args: &VerifyArgs,
    config: Option<&Config>,
    cps: &mut Vec<Located>,
    notes: &mut Vec<String>,
) -> Result<(VerifyReport, Seen), CliError> {
    if let Some(file) = &args.export {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError::failure(format!("cannot read {}: {e}", file.display())))?;
        let bundle = parse_export(&file.display().to_string(), &text)
            .map_err(|e| CliError::failure(e.to_string()))?;
        let mut all = bundle.checkpoints;
        all.append(cps);
        *cps = all;
        return Ok(walk_entries(bundle.entries, &anchor_seqs(cps)));
    }
    let dir = match (config, &args.data_dir) {
        (_, Some(d)) => d.clone(),
        (Some(c), None) => c.data_dir.clone(),
        (None, None) => {
            return Err(CliError::usage(
                "give --config FILE, --data-dir DIR or --export FILE",
            ))
        }
    };
    let store = Store::open_existing(&dir).map_err(|e| {
        CliError::failure(format!(
            "cannot open the store in {}: {e} (a running daemon holds it: stop it first)",
            dir.display()
        ))
    })?;
    match store {
        Some(store) => store
            .audit()
            .verify_seeing(&anchor_seqs(cps))
            .map_err(|e| CliError::failure(e.to_string())),
        None if cps.is_empty() => Err(CliError::failure(format!(
            "no audit store in {} (nothing to verify; nothing was created)",
            dir.display()
        ))),
        None => {
            notes.push(format!(
                "no audit store in {} (nothing was created)",
                dir.display()
            ));
            let empty = VerifyReport {
                entries: 0,
                first_problem: None,
            };
            Ok((empty, Seen::new()))
        }
    }
}

pub fn verify(args: VerifyArgs) -> CliResult {
    let config = args.config.as_deref().map(load_config).transpose()?;
    let key = trusted(&args.trust, config.as_ref())?;
    let mut cps = checkpoints(&args, config.as_ref())?;
    let mut notes = Vec::new();
    let (chain, seen) = walk(&args, config.as_ref(), &mut cps, &mut notes)?;
    if cps.is_empty() {
        return match &chain.first_problem {
            None => {
                out!(
                    "audit log ok: {} entries, hash chain intact; NOT ANCHORED: no checkpoint was \
                     checked, so a wiped, cut or re-hashed log would pass as well (configure \
                     audit.key, or give --checkpoint FILE)",
                    chain.entries
                );
                Ok(())
            }
            Some(problem) => Err(CliError::failure(format!(
                "audit log BROKEN after checking {} entries: {problem}",
                chain.entries
            ))),
        };
    }
    let key = key.ok_or_else(|| {
        CliError::usage(
            "checking checkpoints needs the signer's public key: give --public-key HEX or \
             --key-file FILE (or --config with audit.key)",
        )
    })?;
    let report = check_anchors(&chain, &seen, &cps, &key);
    if report.ok() {
        out!("audit log ok: {}", report.reach());
        return Ok(());
    }
    let mut lines = vec![format!(
        "audit log BROKEN (hash chain sound for {} entries; checkpoints good: {}):",
        report.entries, report.checkpoints
    )];
    lines.extend(
        notes
            .iter()
            .chain(&report.problems)
            .map(|p| format!("  {p}")),
    );
    Err(CliError::failure(lines.join("\n")))
}

/// `audit checkpoint`: the running daemon's current signed checkpoint, as one JSON line (append
/// it to a file kept elsewhere to build an independent record).
pub fn checkpoint(server: &Server) -> CliResult {
    let value = super::client::call(
        server,
        reqwest::Method::GET,
        "/api/v1/audit/checkpoint",
        None,
    )?;
    out!("{value}");
    Ok(())
}

/// `audit public-key`: what verifiers need, derived from the signing key.
pub fn public_key(config: Option<&Path>, key_file: Option<&Path>) -> CliResult {
    let key = match (key_file, config) {
        (Some(file), _) => read_key_file(file)?,
        (None, Some(path)) => {
            let config = load_config(path)?;
            let anchor = config.audit.ok_or_else(|| {
                CliError::usage(format!("{}: audit.key is not configured", path.display()))
            })?;
            anchor.signing_key().map_err(CliError::usage)?
        }
        (None, None) => return Err(CliError::usage("give --key-file FILE or --config FILE")),
    };
    out!("{}", key.public());
    Ok(())
}

/// Checkpoints to append to an export: `--checkpoint` files, else the configured file.
pub fn for_export(files: &[PathBuf], config: Option<&Config>) -> Result<Vec<Located>, CliError> {
    let args = VerifyArgs {
        config: None,
        data_dir: None,
        checkpoints: files.to_vec(),
        export: None,
        trust: Trust {
            public_key: None,
            key_file: None,
        },
    };
    let cps = checkpoints(&args, config)?;
    if cps.is_empty() {
        return Err(CliError::usage(
            "--include-checkpoints: give --checkpoint FILE, or --config with audit.key",
        ));
    }
    Ok(cps)
}
