//! `type: officernd`: its keys build the connector's config (the identity host by default),
//! keys of other types and missing keys are named by path, and the example's commented
//! OfficeRnD source and coworking property validate once uncommented.

use super::*;
use crate::config::SourceConfig;

#[test]
fn the_examples_officernd_source_and_coworking_property_validate() {
    let yaml = uncomment_block(&uncomment_block(EXAMPLE, "  # cowork:\n"), "  # foundry:\n");
    let mut env = example_env();
    env.vars
        .insert("OFFICERND_CLIENT_SECRET".into(), "s3cret-orn".into());
    let config = valid(&yaml, &env);
    let Some(SourceConfig::Officernd(c)) = config.sources.get("cowork") else {
        panic!("no officernd source: {:?}", config.sources.keys());
    };
    assert_eq!(c.auth_url, "https://identity.officernd.com");
    assert_eq!(c.org_slug, "acme-cowork");
    assert_eq!(c.client_secret.value, "s3cret-orn");
    assert_eq!(config.sources["cowork"].kind(), "officernd");
    let foundry = &config.properties["foundry"];
    assert_eq!(foundry.members.plans["Hot Desk"], ["Foundry Entrance"]);
    assert_eq!(
        foundry.members.resources["Board Room"],
        ["Foundry Board Room"]
    );
}

const OFFICERND: &str = "  o:
    type: officernd
    url: http://127.0.0.1:1/officernd
    client_id: c
    client_secret: {file: /run/key}
    org_slug: acme
";

#[test]
fn keys_of_other_types_and_missing_keys_are_named() {
    let yaml = MINIMAL.replace("sources:\n", &format!("sources:\n{OFFICERND}"));
    let config = valid(&yaml, &minimal_env());
    let Some(SourceConfig::Officernd(c)) = config.sources.get("o") else {
        panic!("no officernd source");
    };
    assert_eq!(c.client_secret.value, "key-from-file");
    let bad = OFFICERND
        .replace(
            "    org_slug: acme\n",
            "    org_slug: a/b\n    path: /x.csv\n",
        )
        .replace("    client_id: c\n", "");
    let yaml = MINIMAL.replace("sources:\n", &format!("sources:\n{bad}"));
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(
        errs,
        [
            "sources.o.path: is not an option of type officernd",
            "sources.o.org_slug: \"a/b\" is not a slug: letters, digits, '-', '_' and '.' only",
            "sources.o.client_id: is required",
        ],
        "{errs:?}"
    );
    let yardi_with_slug =
        MINIMAL.replace("    username: u\n", "    username: u\n    org_slug: x\n");
    let errs = errors(&yardi_with_slug, &minimal_env());
    assert_eq!(
        errs,
        ["sources.y.org_slug: is not an option of type yardi_voyager"]
    );
}
