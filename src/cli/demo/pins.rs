//! The demo's credential progress lines. PINs: the notification outbox is read once a second and
//! each new notice is announced by person and generation, never by its digits (those are in the
//! outbox file alone, where the operator's messaging system would pick them up). Mobile keys: the
//! Openpath simulator's count of set-up e-mails, announced as it grows.

use std::path::PathBuf;

/// Follows one outbox file.
pub struct OutboxWatch {
    path: PathBuf,
    seen: usize,
}

/// Past this many new notices at once, one summary line instead of one line each.
const EACH_UP_TO: usize = 3;

impl OutboxWatch {
    pub fn new(path: PathBuf) -> OutboxWatch {
        OutboxWatch { path, seen: 0 }
    }

    /// Progress lines for the notices written since the last call (none while the file does
    /// not exist yet). A line that is not a notice is counted and skipped.
    pub fn poll(&mut self) -> Vec<String> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        let fresh: Vec<(String, String, u64)> = text
            .lines()
            .skip(self.seen)
            .filter_map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).ok()?;
                Some((
                    v["property"].as_str()?.to_string(),
                    v["name"].as_str().unwrap_or("?").to_string(),
                    v["generation"].as_u64().unwrap_or(1),
                ))
            })
            .collect();
        self.seen = text.lines().count();
        let outbox = self.path.display();
        if fresh.len() > EACH_UP_TO {
            let names: Vec<&str> = fresh.iter().take(3).map(|(_, n, _)| n.as_str()).collect();
            return vec![format!(
                "pin: {}: {} PINs delivered to the outbox {outbox} ({}, …)",
                fresh[0].0,
                fresh.len(),
                names.join(", ")
            )];
        }
        fresh
            .iter()
            .map(|(property, name, generation)| {
                let what = if *generation > 1 {
                    "replacement PIN"
                } else {
                    "PIN"
                };
                format!("pin: {property}: {what} #{generation} for {name} delivered to the outbox {outbox}")
            })
            .collect()
    }
}

/// Follows a running count of mobile-key set-up e-mails.
#[derive(Default)]
pub struct KeyWatch {
    seen: u64,
}

impl KeyWatch {
    /// A progress line when `total` grew since the last call.
    pub fn poll(&mut self, property: &str, total: u64) -> Option<String> {
        let fresh = total.checked_sub(self.seen).filter(|n| *n > 0)?;
        self.seen = total;
        let keys = if fresh == 1 { "key" } else { "keys" };
        Some(format!(
            "mobile key: {property}: {fresh} mobile {keys} issued in Openpath, set-up e-mail sent ({total} in all)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_keys_are_announced_as_the_count_grows() {
        let mut watch = KeyWatch::default();
        assert_eq!(watch.poll("p4", 0), None);
        let line = watch.poll("p4", 3).expect("three new");
        assert!(
            line.starts_with("mobile key: p4: 3 mobile keys issued"),
            "{line}"
        );
        assert_eq!(watch.poll("p4", 3), None, "nothing new");
        let line = watch.poll("p4", 4).expect("one more");
        assert!(
            line.contains(": 1 mobile key issued") && line.contains("(4 in all)"),
            "{line}"
        );
    }

    #[test]
    fn new_notices_are_announced_by_name_never_by_digits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pins.jsonl");
        let mut watch = OutboxWatch::new(path.clone());
        assert!(watch.poll().is_empty(), "no file yet");
        let notice = |name: &str, generation: u32, pin: &str| {
            format!("{{\"type\":\"pin_issued\",\"property\":\"p3\",\"name\":\"{name}\",\"generation\":{generation},\"pin\":\"{pin}\"}}\n")
        };
        std::fs::write(&path, notice("Ada", 1, "48291735")).expect("write");
        let lines = watch.poll();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("pin: p3: PIN #1 for Ada delivered"),
            "{lines:?}"
        );
        assert!(!lines[0].contains("48291735"));
        assert!(watch.poll().is_empty(), "nothing new");
        let mut more = std::fs::read_to_string(&path).expect("read");
        more.push_str(&notice("Ada", 2, "73920461"));
        std::fs::write(&path, &more).expect("write");
        assert!(watch.poll()[0].contains("replacement PIN #2 for Ada"));
        for i in 0..5 {
            more.push_str(&notice(&format!("R{i}"), 1, "1357924"));
        }
        std::fs::write(&path, &more).expect("write");
        let lines = watch.poll();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("5 PINs delivered"), "{lines:?}");
        assert!(!lines[0].contains("1357924"));
    }
}
