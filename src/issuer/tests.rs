//! Drawing PINs: the digit count, guessable PINs refused, live PINs never drawn again, and
//! fingerprints that depend on key, property and digits.

use super::*;
use crate::config::NotificationsConfig;

fn issuer<'a>(
    sink: &'a Sink,
    key: &'a [u8],
    digits: u8,
    people: &'a BTreeMap<String, DesiredUser>,
) -> PinIssuer<'a> {
    PinIssuer {
        property: "p1",
        system: "brivo",
        sink,
        key,
        digits,
        property_name: "Maple Court",
        people,
    }
}

fn outbox_sink() -> (tempfile::TempDir, Sink) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = Sink::from_config(&NotificationsConfig::Outbox(dir.path().join("pins.jsonl")))
        .expect("sink");
    (dir, sink)
}

#[test]
fn guessable_pins_are_runs_and_repeats() {
    for weak in [
        "000000", "111111", "123456", "654321", "0123", "9876", "4444",
    ] {
        assert!(is_guessable(weak), "{weak}");
    }
    for fine in ["482913", "112233", "135790", "1212", "0918"] {
        assert!(!is_guessable(fine), "{fine}");
    }
}

#[test]
fn a_draw_has_the_configured_digits_and_is_never_guessable() {
    let (_dir, sink) = outbox_sink();
    let people = BTreeMap::new();
    for digits in [4u8, 6, 8] {
        let issuer = issuer(&sink, b"k", digits, &people);
        for _ in 0..200 {
            let (pin, print) = issuer.draw(&BTreeSet::new()).expect("draw");
            assert_eq!(pin.len(), usize::from(digits));
            assert!(!is_guessable(pin.digits()));
            assert_eq!(print, fingerprint(b"k", "p1", &pin));
        }
    }
}

#[test]
fn a_draw_never_repeats_a_live_pin() {
    // 4 digits: every even PIN is live, so every draw must be odd; with every PIN live the
    // draw is refused by name.
    let (_dir, sink) = outbox_sink();
    let people = BTreeMap::new();
    let issuer = issuer(&sink, b"key", 4, &people);
    let print = |d: &str| fingerprint(b"key", "p1", &Pin::from_digits(d.into()).expect("pin"));
    let live: BTreeSet<String> = (0..10_000)
        .step_by(2)
        .map(|n| print(&format!("{n:04}")))
        .collect();
    for _ in 0..100 {
        let (pin, p) = issuer.draw(&live).expect("half the space is free");
        let last = pin.digits().bytes().last().expect("digits");
        assert!((last - b'0') % 2 == 1, "drew a live PIN");
        assert!(!live.contains(&p));
    }
    let every: BTreeSet<String> = (0..10_000).map(|n| print(&format!("{n:04}"))).collect();
    let e = issuer.draw(&every).expect_err("nothing is free");
    assert!(e.to_string().contains("no unused 4-digit PIN"), "{e}");
    assert!(
        e.to_string().contains("configure pins.digits higher"),
        "{e}"
    );
}

#[test]
fn fingerprints_depend_on_key_property_and_digits() {
    let pin = Pin::from_digits("482913".into()).expect("pin");
    let other = Pin::from_digits("482914".into()).expect("pin");
    let base = fingerprint(b"key-a", "p1", &pin);
    assert_eq!(base.len(), 64);
    assert!(!base.contains("482913"));
    assert_ne!(base, fingerprint(b"key-b", "p1", &pin));
    assert_ne!(base, fingerprint(b"key-a", "p2", &pin));
    assert_ne!(base, fingerprint(b"key-a", "p1", &other));
    assert_eq!(base, fingerprint(b"key-a", "p1", &pin));
}
