//! The CSV source's words and dates: the status table, the person's kind and `YYYY-MM-DD` dates.
//! Pure, so the parser stays testable and fuzzable.

use crate::model::{LeaseStatus, Timestamp};
use crate::source::yardi::status::days_from_civil;

/// The status table. Matched trimmed and case-insensitively; `None` means nobody maps the word:
/// the caller holds that one person's access as observed and reports an `unknown_status`
/// problem; it is never a revocation and never a skipped property.
pub fn lease_status(word: &str) -> Option<LeaseStatus> {
    let status = match word.trim().to_ascii_lowercase().as_str() {
        // A blank cell: a sheet of staff usually lists only the people who work there now.
        "" => LeaseStatus::Current,
        // Works here / lives here now: full access.
        "active" | "current" => LeaseStatus::Current,
        // Leaving: access as current, ending at the `end` date.
        "notice" => LeaseStatus::Notice,
        // Starts later (a new hire, a signed lease): no access yet.
        "pending" | "future" => LeaseStatus::Future,
        // Gone: every grant lockstep manages for the person is revoked.
        "inactive" | "terminated" | "former" | "past" => LeaseStatus::Past,
        _ => return None,
    };
    Some(status)
}

/// Every word the table maps, for messages and tests.
pub const KNOWN_STATUS_WORDS: [&str; 10] = [
    "active",
    "current",
    "notice",
    "pending",
    "future",
    "inactive",
    "terminated",
    "former",
    "past",
    "(blank)",
];

/// The `kind` (alias `role`) column: blank or `resident` is a resident (no role); anything else
/// is a role (`staff`, `maintenance`, `contractor`, `vendor`, …), lowercased, which the
/// property's `roles:` maps to groups.
pub fn role(kind: &str) -> Option<String> {
    let kind = kind.trim().to_ascii_lowercase();
    (!kind.is_empty() && kind != "resident").then_some(kind)
}

/// Unix seconds of a `YYYY-MM-DD` date (midnight UTC), or of an ISO 8601 date and time
/// `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]` (a space may replace the `T`; no offset means UTC).
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (date, time) = match text.as_bytes().get(10) {
        None => (text, None),
        Some(b'T' | b't' | b' ') => (text.get(..10)?, Some(text.get(11..)?)),
        Some(_) => return None,
    };
    let day = parse_day(date)?;
    let seconds = match time {
        None => 0,
        Some(t) => parse_time(t)?,
    };
    Some(day * 86_400 + seconds)
}

/// Days since the epoch of a strict `YYYY-MM-DD`.
fn parse_day(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = digits(&date[..4])?;
    let m: u32 = digits(&date[5..7])?;
    let d: u32 = digits(&date[8..10])?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month)
        .contains(&d)
        .then(|| days_from_civil(y, m, d))
}

/// Seconds into the day, corrected to UTC, of `HH:MM[:SS][Z|±HH:MM]`.
fn parse_time(t: &str) -> Option<i64> {
    let (clock, offset) = match t.find(['Z', 'z', '+', '-']) {
        None => (t, 0),
        Some(i) => (&t[..i], parse_offset(&t[i..])?),
    };
    let mut parts = clock.split(':');
    let h: i64 = digits(parts.next()?)?;
    let m: i64 = digits(parts.next()?)?;
    let s: i64 = parts.next().map_or(Some(0), digits)?;
    if parts.next().is_some() || h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(h * 3600 + m * 60 + s - offset)
}

/// `Z` or `±HH:MM`, in seconds east of UTC.
fn parse_offset(o: &str) -> Option<i64> {
    if o.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = if o.starts_with('-') { -1 } else { 1 };
    let (h, m) = o.get(1..)?.split_once(':')?;
    let (h, m): (i64, i64) = (digits(h)?, digits(m)?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A run of exactly two or four ASCII digits (no sign, no spaces).
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    let ok = matches!(s.len(), 2 | 4) && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_table() {
        let expect = [
            ("active", LeaseStatus::Current),
            ("current", LeaseStatus::Current),
            ("", LeaseStatus::Current),
            ("  ", LeaseStatus::Current),
            ("notice", LeaseStatus::Notice),
            ("pending", LeaseStatus::Future),
            ("future", LeaseStatus::Future),
            ("inactive", LeaseStatus::Past),
            ("terminated", LeaseStatus::Past),
            ("former", LeaseStatus::Past),
            ("past", LeaseStatus::Past),
            (" ACTIVE\t", LeaseStatus::Current),
            ("Terminated", LeaseStatus::Past),
        ];
        for (word, status) in expect {
            assert_eq!(lease_status(word), Some(status), "{word:?}");
        }
        for word in ["hold", "on leave", "activ", "suspended", "-"] {
            assert_eq!(lease_status(word), None, "{word:?}");
        }
        for word in KNOWN_STATUS_WORDS.iter().filter(|w| !w.starts_with('(')) {
            assert!(lease_status(word).is_some(), "{word}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(role(""), None);
        assert_eq!(role(" Resident "), None);
        assert_eq!(role("Maintenance"), Some("maintenance".into()));
        assert_eq!(role("contractor"), Some("contractor".into()));
    }

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2023-07-05"), Some(1_688_515_200));
        assert_eq!(parse_date(" 2024-02-29 "), Some(1_709_164_800));
        assert_eq!(parse_date("2023-07-05T01:02:03Z"), Some(1_688_518_923));
        assert_eq!(parse_date("2023-07-05 01:02"), Some(1_688_518_920));
        assert_eq!(parse_date("2023-07-05T02:00:00+02:00"), Some(1_688_515_200));
        assert_eq!(parse_date("2023-07-04T22:00-02:00"), Some(1_688_515_200));
        for bad in [
            "2026-13-01",
            "2023-02-29",
            "2023-7-5",
            "07/05/2023",
            "2023-07-05T25:00",
            "2023-07-05T10:00+2",
            "2023-07-05X10:00",
            "2023-07-05T",
            "+023-07-05",
            "",
            "today",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
