//! Voyager's words for a resident's standing, mapped to lockstep's `LeaseStatus`, and its
//! `MM/DD/YYYY` dates. Status words: VENDORS.md "Corrections, 2026-11-23" (Current, Future, Past,
//! Notice from the public clients; Applicant, Eviction, Denied, Canceled from weaker sources).
//! Former is mapped because the issue lists it among the words clients show; no public source
//! read here uses it (assumption). Matched trimmed and case-insensitively.

use crate::model::{LeaseStatus, Timestamp};

/// The mapping table. `None` means nobody maps the word: the caller holds that one person's
/// access as observed and reports it; it is never a revocation and never a skipped property.
pub fn lease_status(word: &str) -> Option<LeaseStatus> {
    let status = match word.trim().to_ascii_lowercase().as_str() {
        // Living in the unit under a lease: full access.
        "current" => LeaseStatus::Current,
        // Gave notice but still living there: access as current, ending at the move-out date.
        "notice" => LeaseStatus::Notice,
        // Lease signed, not moved in yet: no access until Voyager says Current.
        "future" => LeaseStatus::Future,
        // Applied only; nothing signed, never moved in: no access.
        "applicant" => LeaseStatus::Future,
        // Moved out: every managed grant is revoked.
        "past" => LeaseStatus::Past,
        // Voyager's other word for a moved-out resident: same as Past.
        "former" => LeaseStatus::Past,
        // Still in possession of the unit until the eviction completes. Locking a tenant out
        // before then is an unlawful "self-help" lockout in most US jurisdictions, and the
        // planned move-out date of an eviction is not reliable, so access stays as for a
        // current resident (not Notice, which would end it at that date). It ends when
        // Voyager moves the person to Past or Former.
        "eviction" => LeaseStatus::Current,
        // Application denied: never moved in, no access (revoked if somehow held).
        "denied" => LeaseStatus::Future,
        // Lease canceled before move-in: never moved in, no access. "Cancelled" is the other
        // spelling (assumption: no source shows which one Voyager uses).
        "canceled" | "cancelled" => LeaseStatus::Future,
        _ => return None,
    };
    Some(status)
}

/// Every status word the table maps, as Voyager spells it (for tests and the simulator).
pub const KNOWN_WORDS: [&str; 9] = [
    "Current",
    "Notice",
    "Future",
    "Applicant",
    "Past",
    "Former",
    "Eviction",
    "Denied",
    "Canceled",
];

/// Unix time of midnight UTC of an `MM/DD/YYYY` date (one-digit month and day accepted, as
/// PHP's `m/d/Y` reading in the Credit-Jeeves client does).
pub fn parse_us_date(text: &str) -> Option<Timestamp> {
    let mut parts = text.trim().split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || m.len() > 2 || d.len() > 2 || y.len() != 4 {
        return None;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(m) && digits(d) && digits(y)) {
        return None;
    }
    let (m, d, y): (u32, u32, i64) = (m.parse().ok()?, d.parse().ok()?, y.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days_in_month {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_word_maps_whatever_its_case_and_spacing() {
        for word in KNOWN_WORDS {
            assert!(lease_status(word).is_some(), "{word}");
            assert_eq!(
                lease_status(&format!("  {}\n", word.to_uppercase())),
                lease_status(word)
            );
        }
        for word in ["Hold", "", "  ", "Currentish", "Evicted"] {
            assert_eq!(lease_status(word), None, "{word:?}");
        }
    }

    #[test]
    fn us_dates() {
        assert_eq!(parse_us_date("01/01/1970"), Some(0));
        assert_eq!(parse_us_date("07/05/2023"), Some(1_688_515_200));
        assert_eq!(parse_us_date("7/5/2023"), Some(1_688_515_200));
        assert_eq!(parse_us_date("02/29/2024"), Some(1_709_164_800));
        for bad in [
            "2023-07-05",
            "02/29/2023",
            "13/01/2023",
            "00/10/2023",
            "07/05/23",
            "07/05/2023/1",
            "aa/bb/cccc",
            "+7/05/2023",
            "",
        ] {
            assert_eq!(parse_us_date(bad), None, "{bad}");
        }
    }
}
