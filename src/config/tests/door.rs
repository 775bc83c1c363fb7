//! `type: door`: its keys (`auth_url`, `client_id`, `client_secret`, `audience`,
//! `passcode_type`) build the connector's config, keys of other types are rejected with their
//! path, and what is missing or malformed is named.

use super::*;
use crate::config::AccessSystemConfig;

/// MINIMAL with the Kisi block replaced by `block` (indented under `kisi-main:`).
fn with_system(block: &str) -> String {
    MINIMAL.replace(
        "    type: kisi\n    url: http://127.0.0.1:1/kisi/\n    api_key: {file: /run/key}\n",
        block,
    )
}

const DOOR: &str = "    type: door
    url: http://127.0.0.1:1/door
    auth_url: http://127.0.0.1:1/door
    client_id: partner
    client_secret: {file: /run/key}
";

#[test]
fn a_door_block_builds_its_config_with_defaults() {
    let config = valid(&with_system(DOOR), &minimal_env());
    let Some(AccessSystemConfig::Door(c)) = config.access_systems.get("kisi-main") else {
        panic!("not a door system: {:?}", config.access_systems);
    };
    assert_eq!(c.client_id, "partner");
    assert_eq!(c.client_secret.value, "key-from-file");
    assert_eq!(c.audience, "https://rest.latchaccess.com/access/sdk");
    assert_eq!(c.passcode_type, "PERMANENT");
    assert_eq!(c.auth_url, "http://127.0.0.1:1/door");
    assert_eq!(config.access_systems["kisi-main"].kind(), "door");
}

#[test]
fn keys_of_other_types_missing_keys_and_bad_values_are_named() {
    let foreign = DOOR.replace("    client_id: partner\n", "    org_id: 7\n");
    let errs = errors(&with_system(&foreign), &minimal_env());
    assert_eq!(
        errs,
        [
            "access_systems.kisi-main.org_id: is not an option of type door",
            "access_systems.kisi-main.client_id: is required",
        ]
    );
    let bad = DOOR.replace(
        "http://127.0.0.1:1/door\n    client_id",
        "auth.prod.latch.com\n    client_id",
    ) + "    passcode_type: WEEKLY\n    audience: not a url\n";
    let errs = errors(&with_system(&bad), &minimal_env());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.auth_url:")
                && e.contains("must start with http")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.passcode_type: unknown")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("access_systems.kisi-main.audience:")),
        "{errs:?}"
    );
    let in_kisi = MINIMAL.replace(
        "    api_key: {file: /run/key}\n",
        "    api_key: {file: /run/key}\n    passcode_type: DAILY\n",
    );
    assert_eq!(
        errors(&in_kisi, &minimal_env()),
        ["access_systems.kisi-main.passcode_type: is not an option of type kisi"]
    );
}
