//! Guest PINs: each limit refused with its figures, each kind's window, and a property test that
//! no grant lies outside its pass and recurring grants fall on their weekdays only.

use super::*;
use crate::config::{GuestPinRules, PassLimit};
use proptest::prelude::*;

const H: i64 = 3600;
/// Monday 2026-11-23 00:00 UTC.
const MONDAY: Timestamp = 1_795_392_000;

fn limit(count: u32, max: Option<i64>, days: Option<u8>) -> Option<PassLimit> {
    Some(PassLimit {
        count,
        max_duration: max.map(|s| Duration::from_secs(s as u64)),
        days_per_week: days,
    })
}

fn rules() -> GuestPinRules {
    GuestPinRules {
        groups: vec!["Resident Entrances".into()],
        temporary: limit(3, Some(7 * 24 * H), None),
        recurring: limit(2, Some(90 * 24 * H), Some(3)),
        permanent: limit(1, None, None),
        delivery: limit(2, Some(4 * H), None),
    }
}

fn pass(id: &str, kind: PassKind, from: Timestamp, until: Option<Timestamp>) -> GuestPass {
    GuestPass {
        id: id.into(),
        property: "mc".into(),
        host: "r-101".into(),
        guest_name: "Ana".into(),
        kind,
        from,
        until,
        days: BTreeSet::new(),
        created_by: "ops".into(),
        created_at: from,
        cancelled: false,
    }
}

fn days(list: &[Weekday]) -> BTreeSet<Weekday> {
    list.iter().copied().collect()
}

fn refusal(r: &GuestPass, held: &[GuestPass]) -> String {
    check(r, held, &rules(), MONDAY)
        .expect_err("refused")
        .to_string()
}

#[test]
fn weekdays_are_utc_days() {
    assert_eq!(Weekday::of(0), Weekday::Thu);
    assert_eq!(Weekday::of(MONDAY), Weekday::Mon);
    assert_eq!(Weekday::of(MONDAY - 1), Weekday::Sun);
    assert_eq!(Weekday::of(MONDAY + 2 * 24 * H + 5), Weekday::Wed);
    assert_eq!("Wed".parse::<Weekday>(), Ok(Weekday::Wed));
    assert!("wednesday".parse::<Weekday>().is_err());
}

#[test]
fn temporary_needs_an_end_within_max_duration_and_a_free_slot() {
    let ok = pass("a", PassKind::Temporary, MONDAY, Some(MONDAY + 24 * H));
    assert_eq!(check(&ok, &[], &rules(), MONDAY), Ok(()));
    let open = pass("a", PassKind::Temporary, MONDAY, None);
    assert_eq!(
        refusal(&open, &[]),
        "temporary guest PINs need an end (until)"
    );
    let long = pass("a", PassKind::Temporary, MONDAY, Some(MONDAY + 9 * 24 * H));
    assert_eq!(
        refusal(&long, &[]),
        "temporary guest PINs last at most 7d; asked for 9d"
    );
    let held: Vec<GuestPass> = (0..3)
        .map(|i| {
            pass(
                &format!("h{i}"),
                PassKind::Temporary,
                MONDAY,
                Some(MONDAY + H),
            )
        })
        .collect();
    assert_eq!(
        refusal(&ok, &held),
        "temporary guest PINs: at most 3 live per resident; r-101 already holds 3"
    );
}

#[test]
fn only_live_passes_of_the_same_kind_and_host_count() {
    let ok = pass("a", PassKind::Temporary, MONDAY, Some(MONDAY + H));
    let mut cancelled = pass("c", PassKind::Temporary, MONDAY, Some(MONDAY + H));
    cancelled.cancelled = true;
    let ended = pass("e", PassKind::Temporary, MONDAY - 2 * H, Some(MONDAY));
    let delivery = pass("d", PassKind::Delivery, MONDAY, Some(MONDAY + H));
    let mut other_host = pass("o", PassKind::Temporary, MONDAY, Some(MONDAY + H));
    other_host.host = "r-102".into();
    let future = pass(
        "f",
        PassKind::Temporary,
        MONDAY + 48 * H,
        Some(MONDAY + 50 * H),
    );
    let held = [
        cancelled,
        ended,
        delivery,
        other_host.clone(),
        future.clone(),
        future,
    ];
    assert_eq!(check(&ok, &held, &rules(), MONDAY), Ok(()));
    let held = [other_host.clone(), other_host.clone(), other_host];
    assert_eq!(check(&ok, &held, &rules(), MONDAY), Ok(()));
}

#[test]
fn recurring_needs_days_within_days_per_week() {
    let mut r = pass("a", PassKind::Recurring, MONDAY, Some(MONDAY + 30 * 24 * H));
    assert_eq!(
        refusal(&r, &[]),
        "recurring guest PINs need the weekdays they are valid on (days)"
    );
    r.days = days(&[Weekday::Mon, Weekday::Wed, Weekday::Fri, Weekday::Sun]);
    assert_eq!(
        refusal(&r, &[]),
        "recurring guest PINs: at most 3 days a week; asked for 4"
    );
    r.days = days(&[Weekday::Mon, Weekday::Wed]);
    assert_eq!(check(&r, &[], &rules(), MONDAY), Ok(()));
    r.until = Some(MONDAY + 91 * 24 * H);
    assert_eq!(
        refusal(&r, &[]),
        "recurring guest PINs last at most 90d; asked for 91d"
    );
    r.until = None;
    assert_eq!(refusal(&r, &[]), "recurring guest PINs need an end (until)");
    let mut held = pass("h", PassKind::Recurring, MONDAY, Some(MONDAY + H));
    held.days = days(&[Weekday::Mon]);
    r.until = Some(MONDAY + 24 * H);
    assert_eq!(
        refusal(&r, &[held.clone(), held]),
        "recurring guest PINs: at most 2 live per resident; r-101 already holds 2"
    );
}

#[test]
fn permanent_has_no_end_and_a_count() {
    let p = pass("a", PassKind::Permanent, MONDAY, None);
    assert_eq!(check(&p, &[], &rules(), MONDAY), Ok(()));
    let ended = pass("a", PassKind::Permanent, MONDAY, Some(MONDAY + H));
    assert_eq!(
        refusal(&ended, &[]),
        "permanent guest PINs have no end; leave until out"
    );
    assert_eq!(
        refusal(&p, std::slice::from_ref(&p)),
        "permanent guest PINs: at most 1 live per resident; r-101 already holds 1"
    );
}

#[test]
fn delivery_lasts_hours() {
    let d = pass("a", PassKind::Delivery, MONDAY, Some(MONDAY + 6 * H));
    assert_eq!(
        refusal(&d, &[]),
        "delivery PINs last at most 4h; asked for 6h"
    );
    let d = pass("a", PassKind::Delivery, MONDAY, Some(MONDAY + 4 * H));
    assert_eq!(check(&d, &[], &rules(), MONDAY), Ok(()));
}

#[test]
fn kinds_not_offered_ends_in_the_past_and_stray_days_are_refused() {
    let mut r = rules();
    r.delivery = None;
    let d = pass("a", PassKind::Delivery, MONDAY, Some(MONDAY + H));
    assert_eq!(
        check(&d, &[], &r, MONDAY).map_err(|e| e.to_string()),
        Err("delivery PINs: the property offers none".into())
    );
    let backwards = pass("a", PassKind::Temporary, MONDAY, Some(MONDAY - H));
    assert_eq!(
        refusal(&backwards, &[]),
        "a guest PIN must end after it starts"
    );
    let past = pass("a", PassKind::Temporary, MONDAY - 3 * H, Some(MONDAY - H));
    assert_eq!(refusal(&past, &[]), "a guest PIN must end in the future");
    let mut t = pass("a", PassKind::Temporary, MONDAY, Some(MONDAY + H));
    t.days = days(&[Weekday::Mon]);
    assert_eq!(
        refusal(&t, &[]),
        "temporary guest PINs: days apply to recurring guest PINs only"
    );
}

#[test]
fn temporary_permanent_and_delivery_windows_are_the_pass() {
    let groups = vec!["Resident Entrances".to_string()];
    let t = pass("g1", PassKind::Temporary, MONDAY + H, Some(MONDAY + 5 * H));
    let p = pass("g2", PassKind::Permanent, MONDAY + 2 * H, None);
    let mut gone = pass("g3", PassKind::Delivery, MONDAY, Some(MONDAY + 9 * H));
    gone.cancelled = true;
    let passes = [t, p, gone];
    let (grants, next) = desired(&passes, &groups, MONDAY);
    assert!(grants.is_empty());
    assert_eq!(next, Some(MONDAY + H));
    let (grants, next) = desired(&passes, &groups, MONDAY + 3 * H);
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0].external_id, "lockstep:guests:g1");
    assert_eq!(grants[0].name, "Ana");
    assert_eq!(grants[0].groups, groups);
    assert_eq!(
        grants[0].window,
        Window {
            from: Some(MONDAY + H),
            until: Some(MONDAY + 5 * H)
        }
    );
    assert_eq!(grants[1].window.until, None);
    assert_eq!(next, Some(MONDAY + 5 * H));
    let (grants, next) = desired(&passes, &groups, MONDAY + 5 * H);
    assert_eq!(grants.len(), 1);
    assert_eq!(next, None);
}

#[test]
fn recurring_windows_are_its_utc_days() {
    let mut r = pass(
        "g1",
        PassKind::Recurring,
        MONDAY + 10 * H,
        Some(MONDAY + 9 * 24 * H),
    );
    r.days = days(&[Weekday::Mon, Weekday::Tue, Weekday::Thu]);
    let groups = vec!["Lobby".to_string()];
    let passes = [r];
    // Monday before from: the next edge is from.
    let (grants, next) = desired(&passes, &groups, MONDAY + H);
    assert!(grants.is_empty());
    assert_eq!(next, Some(MONDAY + 10 * H));
    // Monday after from: the window is clipped to from and ends at midnight.
    let (grants, next) = desired(&passes, &groups, MONDAY + 11 * H);
    assert_eq!(
        grants[0].window,
        Window {
            from: Some(MONDAY + 10 * H),
            until: Some(MONDAY + 24 * H)
        }
    );
    assert_eq!(next, Some(MONDAY + 24 * H));
    // Wednesday: not valid; the next edge is Thursday's midnight.
    let (grants, next) = desired(&passes, &groups, MONDAY + 2 * 24 * H + H);
    assert!(grants.is_empty());
    assert_eq!(next, Some(MONDAY + 3 * 24 * H));
    // Next Tuesday, the pass's last day: the window ends at until.
    let (grants, next) = desired(&passes, &groups, MONDAY + 8 * 24 * H + H);
    assert_eq!(
        grants[0].window,
        Window {
            from: Some(MONDAY + 8 * 24 * H),
            until: Some(MONDAY + 9 * 24 * H)
        }
    );
    assert_eq!(next, Some(MONDAY + 9 * 24 * H));
}

#[test]
fn a_recurring_pass_starting_on_an_invalid_day_wakes_on_its_first_valid_day() {
    // From a Saturday two weeks out, valid on Mondays only.
    let mut r = pass(
        "g1",
        PassKind::Recurring,
        MONDAY + 12 * 24 * H,
        Some(MONDAY + 40 * 24 * H),
    );
    r.days = days(&[Weekday::Mon]);
    let (_, next) = desired(&[r], &[], MONDAY);
    assert_eq!(next, Some(MONDAY + 14 * 24 * H));
}

fn any_pass() -> impl Strategy<Value = GuestPass> {
    let kind = prop::sample::select(PassKind::ALL.to_vec());
    let day_set = prop::collection::btree_set(prop::sample::select(Weekday::ALL.to_vec()), 0..=7);
    (
        kind,
        -30 * 24 * H..30 * 24 * H,
        1..40 * 24 * H,
        day_set,
        any::<bool>(),
    )
        .prop_map(|(kind, from, length, days, cancelled)| {
            let until = (kind != PassKind::Permanent).then_some(MONDAY + from + length);
            let mut p = pass("g", kind, MONDAY + from, until);
            if kind == PassKind::Recurring {
                p.days = days;
            }
            p.cancelled = cancelled;
            p
        })
}

proptest! {
    #[test]
    fn grants_lie_within_their_pass_and_on_its_weekdays(
        passes in prop::collection::vec(any_pass(), 1..6),
        offset in -40 * 24 * H..80 * 24 * H,
    ) {
        let passes: Vec<GuestPass> = passes
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| { p.id = format!("g{i}"); p })
            .collect();
        let now = MONDAY + offset;
        let (grants, next) = desired(&passes, &["G".to_string()], now);
        for g in &grants {
            let p = passes.iter().find(|p| p.id == g.pass_id).expect("its pass");
            prop_assert!(!p.cancelled);
            let from = g.window.from.expect("a start");
            prop_assert!(from >= p.from && from <= now);
            if let Some(until) = p.until {
                let end = g.window.until.expect("an end");
                prop_assert!(end <= until && end > now);
            }
            if p.kind == PassKind::Recurring {
                prop_assert!(p.days.contains(&Weekday::of(now)));
                prop_assert!(p.days.contains(&Weekday::of(from)));
                prop_assert!(g.window.until.expect("an end") - from <= DAY);
            }
        }
        if let Some(t) = next {
            prop_assert!(t > now);
            // Nothing changes between now and the next edge.
            let (before, _) = desired(&passes, &["G".to_string()], t - 1);
            prop_assert_eq!(&before, &grants);
        }
    }
}
