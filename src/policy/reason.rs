//! Why a person's access changes, in the words a property manager reads on a suggestion:
//! "lease went current 2026-11-20 in yardi-main", "moved from 203 to 101". Pure.

use super::Mark;
use crate::model::{LeaseStatus, PersonRecord, Timestamp};

/// The reason for one listed person, from this cycle's record and the previous mark.
pub(super) fn of(
    source: &str,
    record: &PersonRecord,
    status: LeaseStatus,
    unit: Option<&str>,
    previous: Option<&Mark>,
    since: Timestamp,
) -> String {
    let subject = match record.role.as_deref() {
        None | Some("resident") => "lease".to_string(),
        Some(role) => role.to_string(),
    };
    match previous {
        Some(mark) => match (mark.unit.as_deref(), unit) {
            (Some(old), Some(new)) if old != new && status.has_access() => {
                format!("moved from {old} to {new}")
            }
            _ if mark.status != status => {
                format!("{subject} went {status} {} in {source}", date(since))
            }
            _ => format!("{subject} {status} in {source}"),
        },
        None if since > 0 => format!("{subject} went {status} {} in {source}", date(since)),
        None => match record.lease_start.filter(|_| status.has_access()) {
            Some(start) => format!("{subject} {status} since {} in {source}", date(start)),
            None => format!("{subject} {status} in {source}"),
        },
    }
}

/// Why an owned account nobody lists any more loses access.
pub fn unlisted(source: Option<&str>) -> String {
    match source {
        Some(source) => format!("no longer listed by {source}"),
        None => "no longer listed by any source".to_string(),
    }
}

/// `YYYY-MM-DD` (UTC) of a timestamp.
pub fn date(t: Timestamp) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(role: Option<&str>) -> PersonRecord {
        PersonRecord {
            id: "t1".into(),
            name: "Ana Diaz".into(),
            email: None,
            phone: None,
            unit: Some("101".into()),
            status: LeaseStatus::Current,
            role: role.map(str::to_string),
            lease_start: Some(1_763_596_800),
            lease_end: None,
            membership: None,
            visit: None,
        }
    }

    const NOV_20: Timestamp = 1_763_596_800; // 2025-11-20T00:00:00Z

    fn mark(status: LeaseStatus, unit: &str) -> Mark {
        Mark {
            status,
            since: 0,
            unit: Some(unit.into()),
            ends: Default::default(),
        }
    }

    #[test]
    fn a_lease_going_current_names_the_day_and_the_source() {
        let prev = mark(LeaseStatus::Future, "101");
        let r = of(
            "yardi-main",
            &record(None),
            LeaseStatus::Current,
            Some("101"),
            Some(&prev),
            NOV_20,
        );
        assert_eq!(r, "lease went current 2025-11-20 in yardi-main");
    }

    #[test]
    fn a_unit_change_is_a_move() {
        let prev = mark(LeaseStatus::Current, "203");
        let r = of(
            "yardi-main",
            &record(None),
            LeaseStatus::Current,
            Some("101"),
            Some(&prev),
            0,
        );
        assert_eq!(r, "moved from 203 to 101");
    }

    #[test]
    fn staff_are_named_by_role_and_first_sight_uses_the_start_date() {
        let r = of(
            "staff-sheet",
            &record(Some("contractor")),
            LeaseStatus::Current,
            None,
            None,
            0,
        );
        assert_eq!(r, "contractor current since 2025-11-20 in staff-sheet");
        assert_eq!(
            unlisted(Some("yardi-main")),
            "no longer listed by yardi-main"
        );
        assert_eq!(date(0), "1970-01-01");
    }
}
