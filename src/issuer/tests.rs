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

mod never_shown {
    //! Bounded fuzzing: whatever the key, property, person and digit count, the PIN's digits
    //! appear in the outbox line and nowhere else lockstep writes about it: not in the audit
    //! object, the stored record, the PIN's Debug, or a failed delivery's error.

    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn a_pin_appears_only_in_its_delivery(
            key in proptest::collection::vec(any::<u8>(), 32),
            property in "[a-z][a-z0-9-]{0,12}",
            name in "[A-Za-z ]{1,20}",
            digits in 6u8..=8,
            generation in 1u32..5,
        ) {
            let (dir, sink) = outbox_sink();
            let ext = "lockstep:y:r1".to_string();
            let person = DesiredUser {
                person_id: "r1".into(),
                name: name.clone(),
                email: None,
                groups: BTreeMap::new(),
                revoked_credentials: BTreeSet::new(),
                new_grants: true,
                pin: None,
                mobile_key: false,
            };
            let people = BTreeMap::from([(ext.clone(), person)]);
            let issuer = PinIssuer { property: &property, ..issuer(&sink, &key, digits, &people) };
            let (pin, print) = issuer.draw(&BTreeSet::new()).expect("draw");
            let shown = pin.digits().to_string();
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            rt.block_on(issuer.deliver(&ext, generation, Window::OPEN, &pin, 1_800_000_000))
                .expect("delivered");
            let line = std::fs::read_to_string(dir.path().join("pins.jsonl")).expect("outbox");
            prop_assert!(line.contains(&shown), "the delivery carries the PIN");
            let object = audit_object(generation, &print);
            prop_assert!(!object.contains(&shown), "audit object {}", object);
            let record = crate::store::IssuedPin {
                generation,
                fingerprint: print.clone(),
                issued_at: 1_800_000_000,
                window: Window::OPEN,
            };
            let stored = serde_json::to_string(&record).expect("json");
            prop_assert!(!stored.contains(&shown), "stored record {}", stored);
            let debug = format!("{:?}", pin);
            prop_assert!(!debug.contains(&shown), "{}", debug);
            // A webhook nobody answers: the error names the target, never the PIN.
            let hook = Sink::from_config(&NotificationsConfig::Webhook(crate::config::WebhookConfig {
                url: "http://127.0.0.1:9/hook".into(),
                secret: crate::config::Secret {
                    value: "0123456789abcdef0123".into(),
                    origin: "test".into(),
                },
            }))
            .expect("webhook sink");
            let failing = PinIssuer { sink: &hook, ..issuer };
            let err = rt
                .block_on(failing.deliver(&ext, generation, Window::OPEN, &pin, 1_800_000_000))
                .expect_err("nothing listens on port 9");
            let (text, debug) = (err.to_string(), format!("{:?}", err));
            prop_assert!(!text.contains(&shown), "{}", text);
            prop_assert!(!debug.contains(&shown), "{}", debug);
        }
    }
}
