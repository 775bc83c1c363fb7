//! Signatures: good, bad, stale, future, malformed; and the README's worked example.

use super::*;

const SECRET: &[u8] = b"frontdesk-demo-secret-0123456789";
const T: Timestamp = 1_795_424_400;

/// The README's "Signed events" example, byte for byte: if this fails, the docs drifted.
pub const README_BODY: &str = r#"{"events":[{"id":"evt-1001","type":"visitor.signed_in","property":"p1","time":"2026-11-23T09:00:00Z","visit":{"visitor":"v-42","name":"Ada Lovelace","host":"Grace Hopper","invited":true}}]}"#;
pub const README_SIGNATURE: &str =
    "sha256=f12b10d8056b12c058739f388ab424fc08ac09a1fe03d685ea66f4f37a6b84e5";

#[test]
fn the_readme_example_verifies_and_parses() {
    assert_eq!(
        sign(SECRET, "1795424400", README_BODY.as_bytes()),
        README_SIGNATURE
    );
    verify(
        SECRET,
        "1795424400",
        README_SIGNATURE,
        README_BODY.as_bytes(),
        T + 10,
    )
    .expect("ok");
    let events = super::super::wire::parse(README_BODY.as_bytes()).expect("parses");
    assert_eq!(events[0].id, "evt-1001");
    let readme = include_str!("../../../README.md");
    for needle in [
        README_BODY,
        "f12b10d8056b12c058739f388ab424fc08ac09a1fe03d685ea66f4f37a6b84e5",
        "frontdesk-demo-secret-0123456789",
        "1795424400",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
}

#[test]
fn a_good_signature_verifies() {
    let body = br#"{"events":[]}"#;
    let s = sign(SECRET, "1795424400", body);
    assert_eq!(verify(SECRET, "1795424400", &s, body, T), Ok(()));
}

#[test]
fn a_changed_body_timestamp_or_secret_is_a_mismatch() {
    let body = br#"{"events":[1]}"#;
    let s = sign(SECRET, "1795424400", body);
    assert_eq!(
        verify(SECRET, "1795424400", &s, br#"{"events":[2]}"#, T),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        verify(SECRET, "1795424401", &s, body, T),
        Err(Refusal::Mismatch)
    );
    assert_eq!(
        verify(b"another-secret-0123456789", "1795424400", &s, body, T),
        Err(Refusal::Mismatch)
    );
}

#[test]
fn malformed_signatures_and_timestamps_are_refused() {
    let body = b"{}";
    for bad in [
        "",
        "sha1=00",
        "sha256=zz",
        "sha256=abcd",
        &"sha256=".repeat(2),
    ] {
        assert_eq!(
            verify(SECRET, "1795424400", bad, body, T),
            Err(Refusal::Malformed),
            "{bad:?}"
        );
    }
    for bad in ["", "-5", "1.5", "17954244000000", "abc"] {
        assert_eq!(
            verify(SECRET, bad, &sign(SECRET, bad, body), body, T),
            Err(Refusal::BadTimestamp),
            "{bad:?}"
        );
    }
}

#[test]
fn stale_and_future_timestamps_are_refused_at_five_minutes() {
    let body = b"{}";
    let at = |t: Timestamp| t.to_string();
    let ok = |t: Timestamp, now: Timestamp| {
        verify(SECRET, &at(t), &sign(SECRET, &at(t), body), body, now)
    };
    assert_eq!(ok(T, T + 300), Ok(()));
    assert_eq!(ok(T, T - 300), Ok(()));
    assert_eq!(ok(T, T + 301), Err(Refusal::Stale(301)));
    assert_eq!(ok(T, T - 301), Err(Refusal::Stale(-301)));
    assert!(Refusal::Stale(301).to_string().starts_with("stale"));
}

#[test]
fn refusals_never_repeat_the_secret_or_the_signature() {
    let body = b"{}";
    let s = sign(SECRET, "1795424400", body);
    let e = verify(SECRET, "1795424400", "sha256=00", body, T).expect_err("bad");
    for r in [
        e,
        Refusal::Mismatch,
        Refusal::Stale(999),
        Refusal::UnknownSender,
    ] {
        let text = r.to_string();
        assert!(!text.contains("frontdesk-demo-secret"), "{text}");
        assert!(!text.contains(&s[7..]), "{text}");
    }
}
