//! Who holds a store's lock, in plain words: the kernel's lock table (`/proc/locks`) names the
//! process holding a lock on the database file's inode, and `/proc/<pid>/cmdline` says what it
//! runs. Linux only; elsewhere, or when the table cannot be read, the answer is `None` and the
//! error keeps its general wording.

use std::path::Path;

/// A description of the process holding a lock on any file under `db_dir` (sled's `db` and
/// `conf`), e.g. `process 4242 (lockstep run --config /etc/lockstep/config.yaml)`.
pub fn describe(db_dir: &Path) -> Option<String> {
    let table = std::fs::read_to_string("/proc/locks").ok()?;
    let inodes: Vec<u64> = ["db", "conf", "blobs"]
        .iter()
        .filter_map(|f| inode(&db_dir.join(f)))
        .collect();
    let pid = holder(&table, &inodes)?;
    let own = pid == std::process::id();
    let command = std::fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| !c.is_empty());
    Some(match (own, command) {
        (true, _) => format!("this very process ({pid}), which already has it open"),
        (false, Some(c)) => format!("process {pid} ({c})"),
        (false, None) => format!("process {pid}"),
    })
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<u64> {
    None
}

/// The pid holding a lock on one of `inodes` in a `/proc/locks` table. Lines look like
/// `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1315286 0 EOF`; waiting requests carry `->` and are
/// skipped.
fn holder(table: &str, inodes: &[u64]) -> Option<u32> {
    table.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) == Some(&"->") {
            return None;
        }
        let pid = fields.get(4)?.parse::<u32>().ok()?;
        let ino = fields.get(5)?.rsplit(':').next()?.parse::<u64>().ok()?;
        inodes.contains(&ino).then_some(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_table_names_the_holder_of_the_file() {
        let table = "1: POSIX  ADVISORY  WRITE 77 fd:01:99 0 EOF\n\
                     2: FLOCK  ADVISORY  WRITE 4242 fd:01:1315286 0 EOF\n\
                     2: -> FLOCK  ADVISORY  WRITE 5151 fd:01:1315286 0 EOF\n";
        assert_eq!(holder(table, &[1315286]), Some(4242));
        assert_eq!(holder(table, &[99]), Some(77));
        assert_eq!(holder(table, &[5]), None);
        assert_eq!(holder("garbage\n\n1: x", &[5]), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_locked_store_says_who_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _first = crate::store::Store::open(dir.path()).expect("first open");
        let Err(err) = crate::store::Store::open(dir.path()) else {
            panic!("a second open must be refused");
        };
        let text = err.to_string();
        assert_eq!(err.kind(), "locked", "{text}");
        let pid = std::process::id().to_string();
        assert!(
            text.contains("in use by this very process") && text.contains(&pid),
            "{text}"
        );
    }
}
