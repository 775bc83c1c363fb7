//! Verifying the audit chain against signed checkpoints, in the store or in an exported file.
//!
//! The chain walk (`verify.rs`) proves the entries link up; it cannot tell a genuine log from one
//! wiped, cut together with its head record, or re-hashed around a forged entry, because all of
//! that lives in the same database. Each checkpoint, signed outside the store, fixes the hash of
//! entry `seq`; the log must still hold that entry with that hash. Checked for every checkpoint,
//! in file order: the signature (with the trusted public key), that `seq` never goes back within
//! one file (a reset log), and the match with the chain. The first problem stops the check.
//!
//! An export bundle (`audit export --format jsonl --include-checkpoints`) is the entries as JSON
//! lines followed by one `{"checkpoint":{…}}` line per checkpoint, so it can be verified alone.

use super::anchor::{Checkpoint, PublicKey};
use super::audit::{AuditEntry, GENESIS};
use super::checkpoints::{CheckpointFileError, Located};
use super::verify::{ChainWalk, Seen, VerifyReport};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// The outcome of checking a chain against checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredReport {
    /// Entries `1..=entries` form a sound chain.
    pub entries: u64,
    /// The newest checkpoint the log was found to match.
    pub anchored: Option<Located>,
    /// Checkpoints checked and found good.
    pub checkpoints: usize,
    /// The chain's first problem, then the first checkpoint problem; empty when all is well.
    pub problems: Vec<String>,
}

impl AnchoredReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// How far the log was verified, e.g. `verified entries 1..40 against checkpoint seq 40 …`.
    pub fn reach(&self) -> String {
        let Some(a) = &self.anchored else {
            return format!(
                "{} entries, hash chain intact; no checkpoint matched",
                self.entries
            );
        };
        let seq = a.checkpoint.seq;
        let mut text = if seq == 0 {
            format!("verified the empty log against {}", a.describe())
        } else {
            format!("verified entries 1..{seq} against {}", a.describe())
        };
        text.push_str(&format!(", {} checkpoints checked", self.checkpoints));
        if self.entries > seq {
            text.push_str(&format!(
                "; entries {}..{} are newer than that checkpoint (hash chain intact, anchored by \
                 the next one)",
                seq + 1,
                self.entries
            ));
        }
        text
    }
}

/// The sequence numbers the checkpoints name: what the chain walk must remember.
pub fn wanted(checkpoints: &[Located]) -> BTreeSet<u64> {
    checkpoints.iter().map(|c| c.checkpoint.seq).collect()
}

/// Compares a walked chain (`chain`, and `seen` from [`wanted`]) with `checkpoints`.
pub fn check(
    chain: &VerifyReport,
    seen: &Seen,
    checkpoints: &[Located],
    trusted: &PublicKey,
) -> AnchoredReport {
    let mut report = AnchoredReport {
        entries: chain.entries,
        anchored: None,
        checkpoints: 0,
        problems: chain.first_problem.iter().cloned().collect(),
    };
    let mut last_in: BTreeMap<&str, &Located> = BTreeMap::new();
    for loc in checkpoints {
        let cp = &loc.checkpoint;
        let problem = match (cp.verify(trusted), last_in.get(loc.source.as_str())) {
            (Err(e), _) => Some(e),
            (Ok(()), Some(before)) if before.checkpoint.seq > cp.seq => Some(format!(
                "seq goes back from {} (line {}): the log was reset or replaced in between",
                before.checkpoint.seq, before.line
            )),
            (Ok(()), _) => against_chain(chain, seen, cp),
        };
        if let Some(problem) = problem {
            report
                .problems
                .push(format!("{}: {problem}", loc.describe()));
            break;
        }
        last_in.insert(&loc.source, loc);
        report.checkpoints += 1;
        let newer = report
            .anchored
            .as_ref()
            .is_none_or(|a| cp.seq >= a.checkpoint.seq);
        if newer {
            report.anchored = Some(loc.clone());
        }
    }
    report
}

fn against_chain(chain: &VerifyReport, seen: &Seen, cp: &Checkpoint) -> Option<String> {
    let (seq, sound) = (cp.seq, chain.entries);
    if seq == 0 {
        return (cp.head != GENESIS).then(|| "an empty log's head must be the genesis hash".into());
    }
    if seq > sound {
        return Some(match &chain.first_problem {
            Some(_) => format!(
                "entries up to {seq} cannot be matched: the chain breaks after entry {sound}"
            ),
            None if sound == 0 => format!(
                "the log holds no entries, but {seq} had been written when this was signed \
                 (store wiped or replaced)"
            ),
            None => {
                let removed = match sound + 1 {
                    first if first == seq => format!("entry {seq}"),
                    first => format!("entries {first}..{seq}"),
                };
                format!(
                    "the log ends at entry {sound}, but {seq} had been written when this was \
                     signed ({removed} removed)"
                )
            }
        });
    }
    match seen.get(&seq) {
        None => Some(format!("entry {seq} was not examined")),
        Some((hash, _)) if *hash != cp.head => Some(format!(
            "entry {seq} does not match the signed head: entries 1..{seq} were altered, \
             re-ordered, removed or re-hashed since it was signed"
        )),
        Some((_, portfolio)) if *portfolio != cp.portfolio => Some(format!(
            "signed for portfolio {:?}, but entry {seq} belongs to {portfolio:?}",
            cp.portfolio
        )),
        Some(_) => None,
    }
}

/// An exported file read back: entries in file order and the checkpoints after them.
#[derive(Debug, Clone, Default)]
pub struct ExportBundle {
    pub entries: Vec<AuditEntry>,
    pub checkpoints: Vec<Located>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    checkpoint: Checkpoint,
}

/// Writes one `{"checkpoint":{…}}` line per checkpoint (after an export's entries).
pub fn write_checkpoint_lines<W: Write + ?Sized>(
    checkpoints: &[Located],
    out: &mut W,
) -> io::Result<()> {
    for loc in checkpoints {
        let line = CheckpointLine {
            checkpoint: loc.checkpoint.clone(),
        };
        serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Reads a JSON-lines export: audit entries and `{"checkpoint":{…}}` lines.
pub fn parse_export(source_name: &str, text: &str) -> Result<ExportBundle, CheckpointFileError> {
    let mut bundle = ExportBundle::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |detail: String| CheckpointFileError::Parse {
            source_name: source_name.to_string(),
            line: i + 1,
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
        if value.get("checkpoint").is_some() {
            let c: CheckpointLine =
                serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
            bundle.checkpoints.push(Located {
                source: source_name.to_string(),
                line: i + 1,
                checkpoint: c.checkpoint,
            });
        } else {
            let entry = serde_json::from_value(value)
                .map_err(|e| bad(format!("not an audit entry (export JSON lines): {e}")))?;
            bundle.entries.push(entry);
        }
    }
    Ok(bundle)
}

/// Walks exported entries the way the store walk does; `seen` holds the `wanted` entries.
pub fn walk_entries(entries: Vec<AuditEntry>, wanted: &BTreeSet<u64>) -> (VerifyReport, Seen) {
    let mut walk = ChainWalk::new(wanted);
    let mut problem = None;
    for entry in entries {
        if let Err(p) = walk.step(entry) {
            problem = Some(p);
            break;
        }
    }
    let report = VerifyReport {
        entries: walk.prev.seq,
        first_problem: problem,
    };
    (report, walk.seen)
}
