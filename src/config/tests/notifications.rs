//! The `notifications` section: an outbox or a webhook, exactly one, with URL and secret checks
//! in the file's terms, and the example's two commented sinks valid once uncommented.

use super::*;

fn with_notifications(block: &str) -> String {
    format!("{MINIMAL}notifications:\n{block}")
}

fn env() -> FakeEnv {
    let mut env = minimal_env();
    env.vars
        .insert("NOTIFY_SECRET".into(), "0123456789abcdef-notify".into());
    env.vars.insert("SHORT".into(), "short".into());
    env
}

const WEBHOOK: &str = "  webhook:\n    url: https://hooks.example.com/lockstep\n    \
                       secret: {env: NOTIFY_SECRET}\n";

#[test]
fn without_the_key_there_is_no_sink() {
    assert_eq!(valid(MINIMAL, &minimal_env()).notifications, None);
}

#[test]
fn an_outbox_is_a_path() {
    let config = valid(
        &with_notifications("  outbox: /var/lib/lockstep/pin-outbox.jsonl\n"),
        &env(),
    );
    assert_eq!(
        config.notifications,
        Some(NotificationsConfig::Outbox(
            "/var/lib/lockstep/pin-outbox.jsonl".into()
        ))
    );
}

#[test]
fn a_webhook_has_a_url_and_a_secret() {
    let config = valid(&with_notifications(WEBHOOK), &env());
    let Some(NotificationsConfig::Webhook(w)) = &config.notifications else {
        panic!("webhook: {:?}", config.notifications)
    };
    assert_eq!(w.url, "https://hooks.example.com/lockstep");
    assert_eq!(w.secret.value, "0123456789abcdef-notify");
    assert!(
        !format!("{config:?}").contains("0123456789abcdef"),
        "a secret in Debug"
    );
    let local = WEBHOOK.replace("https://hooks.example.com", "http://127.0.0.1:8080");
    assert!(errors(&with_notifications(&local), &env()).is_empty());
    let local = WEBHOOK.replace("https://hooks.example.com", "http://localhost:8080");
    assert!(errors(&with_notifications(&local), &env()).is_empty());
}

#[test]
fn both_sinks_or_neither_is_an_error() {
    let both = with_notifications(&format!("  outbox: /tmp/o.jsonl\n{WEBHOOK}"));
    assert_eq!(
        errors(&both, &env()),
        ["notifications: give exactly one of outbox or webhook, not both"]
    );
    assert_eq!(
        errors(&format!("{MINIMAL}notifications: {{}}\n"), &env()),
        ["notifications: give one of outbox (a file path) or webhook (url and secret)"]
    );
    assert_eq!(
        errors(&with_notifications("  outbox: \"\"\n"), &env()),
        ["notifications.outbox: must not be empty"]
    );
}

#[test]
fn a_bad_webhook_url_is_named_by_its_path() {
    for (url, want) in [
        (
            "http://hooks.example.com/x",
            "is plain http to a host that is not loopback",
        ),
        ("ftp://hooks.example.com/x", "must start with https://"),
        ("hooks.example.com/x", "is not a URL"),
        ("https:///x", "has no host"),
    ] {
        let block = WEBHOOK.replace("https://hooks.example.com/lockstep", url);
        let e = errors(&with_notifications(&block), &env());
        assert_eq!(e.len(), 1, "{url}: {e:?}");
        assert!(
            e[0].starts_with("notifications.webhook.url: ") && e[0].contains(want),
            "{url}: {e:?}"
        );
    }
    let e = errors(
        &with_notifications("  webhook: {secret: {env: NOTIFY_SECRET}}\n"),
        &env(),
    );
    assert_eq!(e, ["notifications.webhook.url: is required"]);
}

#[test]
fn a_short_or_missing_secret_is_an_error_without_its_value() {
    let short = WEBHOOK.replace("NOTIFY_SECRET", "SHORT");
    let e = errors(&with_notifications(&short), &env());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with(
            "notifications.webhook.secret: the secret from env SHORT is shorter than 16"
        ),
        "{e:?}"
    );
    assert!(!e[0].contains("\"short\""), "{e:?}");
    // Under --skip-secrets only the reference's shape is checked.
    let shape = Config::from_yaml_str_with(
        &with_notifications(&short),
        &FakeEnv::default(),
        Secrets::ShapeOnly,
    );
    assert!(shape.is_ok(), "{shape:?}");
    let e = errors(
        &with_notifications("  webhook: {url: https://h.example}\n"),
        &env(),
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("notifications.webhook.secret: is required")),
        "{e:?}"
    );
}

#[test]
fn unknown_keys_are_named_by_path() {
    let e = errors(
        &with_notifications("  outbox: /tmp/o.jsonl\n  sms: yes\n"),
        &env(),
    );
    assert!(
        e.iter().any(|m| m.starts_with("notifications.sms")),
        "{e:?}"
    );
    let e = errors(
        &with_notifications(&format!("{WEBHOOK}    retries: 3\n")),
        &env(),
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("notifications.webhook.retries")),
        "{e:?}"
    );
    for m in &e {
        assert!(!m.contains("Raw") && !m.contains("struct"), "{m}");
    }
}

/// The example's commented block beginning with the line `# notifications:` after `after`,
/// uncommented and appended to the example.
fn example_with(after: &str) -> String {
    let at = EXAMPLE.find(after).expect("the comment before the block") + after.len();
    let block: String = EXAMPLE[at..]
        .lines()
        .skip_while(|l| *l != "# notifications:")
        .take_while(|l| *l == "# notifications:" || l.starts_with("#   "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    assert!(block.lines().count() >= 2, "{block}");
    format!("{EXAMPLE}{block}")
}

#[test]
fn the_examples_commented_sinks_validate() {
    let config = valid(
        &example_with("the path is taken as written:\n"),
        &example_env(),
    );
    assert!(
        matches!(config.notifications, Some(NotificationsConfig::Outbox(_))),
        "{:?}",
        config.notifications
    );
    let mut env = example_env();
    env.vars.insert(
        "LOCKSTEP_NOTIFY_SECRET".into(),
        "0123456789abcdef0123456789abcdef".into(),
    );
    let config = valid(&example_with("openssl rand -hex 32.\n"), &env);
    assert!(
        matches!(config.notifications, Some(NotificationsConfig::Webhook(_))),
        "{:?}",
        config.notifications
    );
}
