//! A property's `notify:` policy: `never` when left out, each of the three values read, and
//! anything else refused with its path and the values it may take.

use super::*;

fn policy(keys: &str) -> NotifyPolicy {
    let c = valid(&with_property_keys(keys), &minimal_env());
    c.properties["maple-court"].notify
}

#[test]
fn left_out_no_grant_notifies() {
    assert_eq!(policy(""), NotifyPolicy::Never);
}

#[test]
fn each_value_is_read() {
    assert_eq!(policy("    notify: default\n"), NotifyPolicy::Default);
    assert_eq!(policy("    notify: always\n"), NotifyPolicy::Always);
    assert_eq!(policy("    notify: never\n"), NotifyPolicy::Never);
}

#[test]
fn a_bad_value_is_named_with_its_path_and_the_choices() {
    let e = errors(
        &with_property_keys("    notify: sometimes\n"),
        &minimal_env(),
    );
    assert!(
        e.iter().any(|e| e.contains("properties.maple-court.notify")
            && e.contains("\"sometimes\"")
            && e.contains("default, always or never")),
        "{e:?}"
    );
}
