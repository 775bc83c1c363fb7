//! Body parsing: every error names the field path; arbitrary bodies never panic.

use super::*;
use proptest::prelude::*;

fn err(body: &str) -> String {
    parse(body.as_bytes()).expect_err("malformed").to_string()
}

fn one(event: &str) -> String {
    format!(r#"{{"events":[{event}]}}"#)
}

const VISIT: &str = r#"{"id":"e1","type":"visitor.expected","property":"p1","time":"2026-11-23T09:00:00Z","visit":{"visitor":"v1","name":"Ada","expected_arrival":"2026-11-23T10:00:00+01:00","invited":true}}"#;

#[test]
fn every_type_parses() {
    let body = format!(
        r#"{{"events":[{VISIT},
        {{"id":"e2","type":"person.upsert","property":"p1","time":"2026-11-23T09:00:00Z","person":{{"id":"s1","name":"Sam","status":"current","role":"maintenance","start":"2026-01-01T00:00:00Z","end":null}}}},
        {{"id":"e3","type":"person.remove","property":"p1","time":"2026-11-23T09:00:01Z","person":{{"id":"s1"}}}},
        {{"id":"e4","type":"visitor.signed_in","property":"p1","time":"2026-11-23T09:00:02Z","visit":{{"visitor":"v1"}}}},
        {{"id":"e5","type":"visitor.signed_out","property":"p1","time":"2026-11-23T09:00:03Z","visit":{{"visitor":"v1"}}}},
        {{"id":"e6","type":"booking.upsert","property":"p1","time":"2026-11-23T09:00:04Z","booking":{{"member":"m1","id":"b1","resource":"Board Room","start":"2026-11-23T12:00:00Z","end":"2026-11-23T13:00:00Z"}}}},
        {{"id":"e7","type":"booking.cancel","property":"p1","time":"2026-11-23T09:00:05Z","booking":{{"member":"m1","id":"b1"}}}},
        {{"id":"e8","type":"credential.lost","property":"p1","time":"2026-11-23T09:00:06Z","credential":{{"person":"r1","note":"left on the bus"}}}}]}}"#
    );
    let events = parse(body.as_bytes()).expect("parses");
    let types: Vec<&str> = events.iter().map(|e| e.body.type_name()).collect();
    assert_eq!(
        types,
        [
            "visitor.expected",
            "person.upsert",
            "person.remove",
            "visitor.signed_in",
            "visitor.signed_out",
            "booking.upsert",
            "booking.cancel",
            "credential.lost"
        ]
    );
    let EventBody::Visit { visit, .. } = &events[0].body else {
        panic!("visit")
    };
    assert_eq!(
        visit.expected_arrival,
        Some(1_795_424_400),
        "+01:00 offset applied"
    );
    let EventBody::CredentialLost { credential, .. } = &events[7].body else {
        panic!("lost")
    };
    assert_eq!(credential, "*", "no id means every credential");
}

#[test]
fn errors_name_the_field_path() {
    let bad_time = VISIT.replace("2026-11-23T10:00:00+01:00", "tomorrow");
    let e = err(&format!(r#"{{"events":[{VISIT},{VISIT},{bad_time}]}}"#));
    assert!(e.starts_with("events[1].id: "), "{e}");
    let e2 = VISIT.replace("\"e1\"", "\"e2\"");
    let e3 = bad_time.replace("\"e1\"", "\"e3\"");
    let e = err(&format!(r#"{{"events":[{VISIT},{e2},{e3}]}}"#));
    assert!(
        e.starts_with("events[2].visit.expected_arrival: expected an RFC 3339 time"),
        "{e}"
    );
    let cases = [
        ("[]", "body: expected an object"),
        ("{}", "events: is required"),
        (r#"{"events":[]}"#, "events: expected at least one event"),
        (r#"{"events":[], "x": 1}"#, "body.x: unknown field"),
        (&one(r#"{"id":"e1"}"#), "events[0].type: is required"),
        (
            &one(r#"{"id":"e1","type":"visitor.waved"}"#),
            "events[0].type: unknown event type",
        ),
        (
            &one(&VISIT.replace("\"invited\":true", "\"invited\":\"yes\"")),
            "events[0].visit.invited: expected true or false",
        ),
        (
            &one(&VISIT.replace("\"name\":\"Ada\"", "\"nick\":\"Ada\"")),
            "events[0].visit.nick: unknown field",
        ),
        (
            &one(&VISIT.replace("\"visitor\":\"v1\",", "")),
            "events[0].visit.visitor: is required",
        ),
        (
            &one(&VISIT.replace("\"time\":\"2026-11-23T09:00:00Z\",", "")),
            "events[0].time: is required",
        ),
        (
            &one(&VISIT.replace("2026-11-23T09:00:00Z", "2026-02-30T09:00:00Z")),
            "events[0].time: expected an RFC 3339 time",
        ),
        (
            &one(
                r#"{"id":"e1","type":"person.upsert","property":"p1","time":"2026-11-23T09:00:00Z","person":{"id":"s1","name":"Sam","status":"hold"}}"#,
            ),
            "events[0].person.status: unknown status",
        ),
        (
            &one(
                r#"{"id":"e1","type":"booking.upsert","property":"p1","time":"2026-11-23T09:00:00Z","booking":{"member":"m","id":"b","resource":"R","start":"2026-11-23T13:00:00Z","end":"2026-11-23T12:00:00Z"}}"#,
            ),
            "events[0].booking.end: must be after start",
        ),
        (
            &one(&VISIT.replace("\"Ada\"", "\"A\\u0007da\"")),
            "events[0].visit.name: control character",
        ),
    ];
    for (body, want) in cases {
        let e = err(body);
        assert!(e.starts_with(want), "{body}\n  got:  {e}\n  want: {want}");
    }
}

#[test]
fn the_event_count_is_bounded() {
    let many: Vec<String> = (0..=MAX_EVENTS)
        .map(|i| VISIT.replace("\"e1\"", &format!("\"e{i}\"")))
        .collect();
    let e = err(&format!(r#"{{"events":[{}]}}"#, many.join(",")));
    assert!(e.contains("at most 500"), "{e}");
}

#[test]
fn rfc3339_reads_offsets_fractions_and_refuses_the_rest() {
    assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(rfc3339("2026-11-23T09:00:00Z"), Some(1_795_424_400));
    assert_eq!(
        rfc3339("2026-11-23T10:00:00.123+01:00"),
        Some(1_795_424_400)
    );
    assert_eq!(rfc3339("2026-11-23T04:00:00-05:00"), Some(1_795_424_400));
    assert_eq!(rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
    for bad in [
        "2026-11-23",
        "2026-11-23T09:00:00",
        "2025-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T09:00:00.Z",
        "2026-11-23T09:00:00+0100",
        "２026-11-23T09:00:00Z",
    ] {
        assert_eq!(rfc3339(bad), None, "{bad}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&body);
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(
        keys in proptest::collection::vec("[a-z_.]{0,12}", 0..8),
        values in proptest::collection::vec(prop_oneof![
            Just("null".to_string()), Just("true".to_string()), Just("12".to_string()),
            "\"[ -~]{0,30}\"", Just("[]".to_string()), Just("{}".to_string()),
            Just("\"2026-11-23T09:00:00Z\"".to_string()),
            Just("\"visitor.signed_in\"".to_string()), Just("\"person.upsert\"".to_string()),
        ], 0..8),
        payload in "(person|visit|booking|credential)",
    ) {
        let inner: Vec<String> = keys.iter().zip(values.iter().cycle())
            .map(|(k, v)| format!("{k:?}:{v}")).collect();
        let fields: Vec<String> = keys.iter().zip(values.iter().rev().cycle())
            .map(|(k, v)| format!("{k:?}:{v}")).collect();
        let body = format!(
            r#"{{"events":[{{{}{}"{payload}":{{{}}}}}]}}"#,
            fields.join(","),
            if fields.is_empty() { "" } else { "," },
            inner.join(",")
        );
        let _ = parse(body.as_bytes());
    }
}
