//! `type: events` sources: senders and their secrets, keys of other types, unique sender names.

use super::*;

fn with_events(name: &str, keys: &str) -> String {
    MINIMAL.replace(
        "access_systems:\n",
        &format!("  {name}:\n    type: events\n{keys}access_systems:\n"),
    )
}

fn env() -> FakeEnv {
    let mut env = minimal_env();
    env.vars
        .insert("PA_SECRET".into(), "0123456789abcdef-pa".into());
    env.files
        .insert("/run/script".into(), "0123456789abcdef-script\n".into());
    env.vars.insert("SHORT".into(), "short".into());
    env
}

#[test]
fn an_events_source_reads_its_senders_secrets() {
    let keys = "    senders:\n      power-automate: {secret: {env: PA_SECRET}}\n      \
                script: {secret: {file: /run/script}}\n";
    let config = valid(&with_events("frontdesk", keys), &env());
    let SourceConfig::Events(e) = &config.sources["frontdesk"] else {
        panic!("events")
    };
    assert_eq!(config.sources["frontdesk"].kind(), "events");
    assert_eq!(e.senders["power-automate"].value, "0123456789abcdef-pa");
    assert_eq!(e.senders["script"].value, "0123456789abcdef-script");
    let (source, secret) = config.event_sender("script").expect("sender");
    assert_eq!(
        (source, secret.origin.as_str()),
        ("frontdesk", "file /run/script")
    );
    assert!(config.event_sender("nobody").is_none());
    let shown = format!("{config:?}");
    assert!(!shown.contains("0123456789abcdef"), "a secret in Debug");
}

#[test]
fn events_source_errors_are_reported_with_their_paths() {
    let e = errors(&with_events("frontdesk", "    path: /x\n"), &env());
    assert!(
        e.iter()
            .any(|m| m.starts_with("sources.frontdesk.path: is not an option of type events")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("sources.frontdesk.senders: at least one sender")),
        "{e:?}"
    );
    let keys = "    senders:\n      \"bad name\": {secret: {env: PA_SECRET}}\n      \
                short: {secret: {env: SHORT}}\n      unset: {secret: {env: NOT_SET}}\n      none: {}\n";
    let e = errors(&with_events("frontdesk", keys), &env());
    for want in [
        "sources.frontdesk.senders.bad name: a sender name is",
        "sources.frontdesk.senders.short.secret: the secret from env SHORT is shorter than 16",
        "sources.frontdesk.senders.unset.secret: environment variable NOT_SET is not set",
        "sources.frontdesk.senders.none.secret: is required",
    ] {
        assert!(e.iter().any(|m| m.starts_with(want)), "{want}\n{e:?}");
    }
    assert!(
        e.iter()
            .all(|m| !m.contains("short\"") || !m.contains("short,")),
        "{e:?}"
    );
}

#[test]
fn senders_belong_to_events_sources_and_are_unique() {
    let e = errors(
        &MINIMAL.replace(
            "    type: yardi_voyager\n",
            "    type: yardi_voyager\n    senders: {x: {secret: {env: PA_SECRET}}}\n",
        ),
        &env(),
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("sources.y.senders: is not an option of type yardi_voyager")),
        "{e:?}"
    );
    let one = "    senders:\n      script: {secret: {env: PA_SECRET}}\n";
    let yaml = with_events("a", one).replace(
        "access_systems:\n",
        &format!("  b:\n    type: events\n{one}access_systems:\n"),
    );
    let e = errors(&yaml, &env());
    assert!(
        e.iter().any(|m| m.starts_with(
            "sources.b.senders.script: sender \"script\" is also a sender of source \"a\""
        )),
        "{e:?}"
    );
}
