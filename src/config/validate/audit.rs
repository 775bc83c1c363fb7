//! The `audit` section: the checkpoint signing key and the checkpoint directory, both outside
//! `data_dir` so that whoever can rewrite the store cannot also re-sign its history.

use super::{secs, Check};
use crate::config::raw::{RawAudit, RawSecret};
use crate::config::AuditAnchor;
use std::path::{Path, PathBuf};

/// `None` without `audit.key` (the log is then not anchored); every problem is recorded.
pub(super) fn anchor(c: &mut Check<'_>, raw: &RawAudit, data_dir: &Path) -> Option<AuditAnchor> {
    let checkpoint_interval = c.duration_in(
        "audit.checkpoint_interval",
        raw.checkpoint_interval.as_deref(),
        secs(300),
        super::bounds::CHECKPOINT_INTERVAL,
    );
    let Some(raw_key) = &raw.key else {
        if raw.checkpoint_dir.is_some() || raw.checkpoint_interval.is_some() {
            c.err(
                "audit.key",
                "is required when audit.checkpoint_dir or audit.checkpoint_interval is set \
                 ({file: PATH} naming a 64-hex-character Ed25519 seed)",
            );
        }
        return None;
    };
    if let RawSecret::Plain(_) = raw_key {
        c.err(
            "audit.key",
            "must be {file: PATH} or {env: NAME}: a signing key written into the config file \
             travels with every copy of it",
        );
    }
    let key = match credential(c, raw_key) {
        Some(resolved) => c.secret("audit.key", &Some(resolved)),
        None => return None,
    };
    if !key.value.is_empty() {
        if let Err(e) = crate::store::AuditKey::from_hex(&key.value) {
            c.err("audit.key", format!("the key from {} {e}", key.origin));
        }
    }
    let checkpoint_dir = match &raw.checkpoint_dir {
        None => {
            c.err(
                "audit.checkpoint_dir",
                "is required with audit.key: a directory outside data_dir, e.g. \
                 /var/lib/lockstep-checkpoints",
            );
            PathBuf::new()
        }
        Some(_) => PathBuf::from(c.required("audit.checkpoint_dir", &raw.checkpoint_dir)),
    };
    if !checkpoint_dir.as_os_str().is_empty() && inside(&checkpoint_dir, data_dir) {
        c.err(
            "audit.checkpoint_dir",
            format!(
                "{} is inside data_dir ({}): checkpoints kept with the log they anchor are wiped \
                 with it; use a directory outside it",
                checkpoint_dir.display(),
                data_dir.display()
            ),
        );
    }
    Some(AuditAnchor {
        key,
        checkpoint_dir,
        checkpoint_interval,
    })
}

/// The key as a systemd credential: `{file: $CREDENTIALS_DIRECTORY/NAME}` names the file systemd
/// placed for `LoadCredential=NAME:…`, wherever this systemd keeps it. `None` (with the error
/// recorded) when the variable is not set.
fn credential(c: &mut Check<'_>, raw: &RawSecret) -> Option<RawSecret> {
    let RawSecret::File(path) = raw else {
        return Some(raw.clone());
    };
    let Some(name) = path.strip_prefix("$CREDENTIALS_DIRECTORY/") else {
        return Some(raw.clone());
    };
    match c.env.var("CREDENTIALS_DIRECTORY") {
        Some(dir) if !dir.is_empty() => Some(RawSecret::File(format!(
            "{}/{name}",
            dir.trim_end_matches('/')
        ))),
        // Not read anyway: the credential is checked for shape only.
        _ if c.secrets == crate::config::Secrets::ShapeOnly => Some(raw.clone()),
        _ => {
            c.err(
                "audit.key",
                format!(
                    "{path}: $CREDENTIALS_DIRECTORY is not set (it is under systemd with \
                     LoadCredential={name}:…; elsewhere give the key file's own path)"
                ),
            );
            None
        }
    }
}

/// Whether `dir` is `base` or under it, as written or (when both exist) once resolved.
fn inside(dir: &Path, base: &Path) -> bool {
    if dir.starts_with(base) {
        return true;
    }
    match (dir.canonicalize(), base.canonicalize()) {
        (Ok(d), Ok(b)) => d.starts_with(b),
        _ => false,
    }
}
