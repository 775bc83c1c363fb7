//! The outbox sink: one JSON line per PIN appended to a file only its owner can read (0600),
//! synced before the delivery counts. Each line is one `write` on an `O_APPEND` file under a
//! lock, so concurrent deliveries never interleave.

use super::DeliverError;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

pub struct Outbox {
    path: PathBuf,
    /// Held across one append: the write and its sync.
    lock: Arc<Mutex<()>>,
}

impl Outbox {
    pub(super) fn new(path: &Path) -> Outbox {
        Outbox {
            path: path.to_path_buf(),
            lock: Arc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` and a newline, then syncs. The file is opened per delivery, so a tool that
    /// moves the outbox away to process it finds a fresh one created on the next PIN.
    pub(super) async fn append(&self, mut line: Zeroizing<Vec<u8>>) -> Result<(), DeliverError> {
        line.push(b'\n');
        let path = self.path.clone();
        let lock = Arc::clone(&self.lock);
        tokio::task::spawn_blocking(move || {
            // A poisoned lock only means another append panicked; the file is still whole lines.
            let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
            append_blocking(&path, &line)
        })
        .await
        .unwrap_or_else(|e| {
            Err(DeliverError::Write {
                path: self.path.clone(),
                source: std::io::Error::other(e.to_string()),
            })
        })
    }
}

fn append_blocking(path: &Path, line: &[u8]) -> Result<(), DeliverError> {
    let write = |source| DeliverError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            return Err(DeliverError::NoDirectory {
                path: path.to_path_buf(),
                dir,
            });
        }
        Err(e) => return Err(write(e)),
    };
    // `mode` applies only to a file it creates: one made by hand must be as private.
    let mode = file.metadata().map_err(write)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(DeliverError::OpenToOthers {
            path: path.to_path_buf(),
            mode,
        });
    }
    // One write call: with O_APPEND the kernel places the whole line at the end at once.
    let written = file.write(line).map_err(write)?;
    if written != line.len() {
        return Err(write(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            format!("only {written} of {} bytes were written", line.len()),
        )));
    }
    file.sync_data().map_err(write)
}
