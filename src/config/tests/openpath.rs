//! `type: openpath`: its keys (`email`, `password`, `org_id`) build the connector's config,
//! keys of other types are rejected with their path, and what is missing is named.

use super::*;
use crate::config::AccessSystemConfig;

/// MINIMAL with the Kisi block replaced by `block` (indented under `kisi-main:`).
fn with_system(block: &str) -> String {
    MINIMAL.replace(
        "    type: kisi\n    url: http://127.0.0.1:1/kisi/\n    api_key: {file: /run/key}\n",
        block,
    )
}

const OPENPATH: &str = "    type: openpath
    url: http://127.0.0.1:1/openpath
    email: api@example.test
    password: {file: /run/key}
    org_id: 4242
    requests_per_second: 5
";

#[test]
fn an_openpath_block_builds_its_config() {
    let config = valid(&with_system(OPENPATH), &minimal_env());
    let Some(AccessSystemConfig::Openpath(c)) = config.access_systems.get("kisi-main") else {
        panic!("not an openpath system: {:?}", config.access_systems);
    };
    assert_eq!(c.email, "api@example.test");
    assert_eq!(c.org_id, 4242);
    assert_eq!(c.password.value, "key-from-file");
    assert_eq!(c.endpoint.requests_per_second, Some(5.0));
    assert_eq!(config.access_systems["kisi-main"].kind(), "openpath");
}

#[test]
fn keys_of_other_types_and_missing_keys_are_named() {
    let foreign = OPENPATH.replace("    org_id: 4242\n", "    api_key: {file: /run/key}\n");
    let errs = errors(&with_system(&foreign), &minimal_env());
    assert_eq!(
        errs,
        [
            "access_systems.kisi-main.api_key: is not an option of type openpath",
            "access_systems.kisi-main.org_id: is required (the {orgId} of Openpath's paths)",
        ]
    );
    let bare = "    type: openpath\n    url: http://127.0.0.1:1/openpath\n    org_id: 0\n";
    let errs = errors(&with_system(bare), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.org_id: must be")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.email:")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.password:")),
        "{errs:?}"
    );
    let in_kisi = MINIMAL.replace(
        "    api_key: {file: /run/key}\n",
        "    api_key: {file: /run/key}\n    org_id: 1\n",
    );
    assert_eq!(
        errors(&in_kisi, &minimal_env()),
        ["access_systems.kisi-main.org_id: is not an option of type kisi"]
    );
}
