//! A secret's value never appears in a config error, however it was typed, and a quoted
//! `"{env: X}"` is refused rather than taken as the literal password.

use super::*;

const SECRET: &str = "9081726354";

/// Every way of writing the secret in the wrong shape, in the `password` slot.
fn typings() -> Vec<String> {
    [
        format!("password: {SECRET}"),
        format!("password: {SECRET}.5"),
        format!("password: -{SECRET}"),
        format!("password: 0x{SECRET}"),
        format!("password: [{SECRET}]"),
        format!("password: [\"{SECRET}\"]"),
        format!("password: {{{SECRET}: x}}"),
        format!("password: {{\"{SECRET}\": x}}"),
        format!("password: {{env: {SECRET}}}"),
        format!("password: {{env: \"pw {SECRET}\"}}"),
        format!("password: {{file: {SECRET}}}"),
        format!("password: {{env: [{SECRET}]}}"),
        format!("password: {{env: X, file: {SECRET}}}"),
        format!("password: {{env: X, {SECRET}: 1}}"),
        format!("password: !secret {SECRET}"),
        format!("password:\n      - {SECRET}"),
        format!("password:\n      nested: {{deep: {SECRET}}}"),
    ]
    .into_iter()
    .collect()
}

#[test]
fn a_secret_typed_in_the_wrong_shape_never_appears_in_the_error() {
    for typed in typings() {
        let yaml = MINIMAL.replace("password: p", &typed);
        let errs = errors(&yaml, &minimal_env());
        assert!(!errs.is_empty(), "{typed:?} was accepted");
        let text = errs.join("\n");
        assert!(
            !text.contains(SECRET),
            "{typed:?} leaked the secret into: {text}"
        );
        assert!(
            text.contains("sources.y.password") || text.contains("line"),
            "{typed:?}: the error does not say where: {text}"
        );
    }
}

#[test]
fn a_quoted_reference_is_an_error_not_a_literal_password() {
    for typed in [
        "\"{env:YARDI_PASSWORD}\"",
        "\"{env: YARDI_PASSWORD}\"",
        "'{ file : /run/pw }'",
    ] {
        let yaml = MINIMAL.replace("password: p", &format!("password: {typed}"));
        let errs = errors(&yaml, &minimal_env());
        assert_eq!(errs.len(), 1, "{typed}: {errs:?}");
        assert!(
            errs[0].starts_with("sources.y.password: a quoted {env: ...}"),
            "{typed}: {errs:?}"
        );
        assert!(errs[0].contains("remove the quotes"), "{errs:?}");
    }
    // Unquoted it is a reference; braces inside a real password are fine.
    let mut env = minimal_env();
    env.vars.insert("YARDI_PASSWORD".into(), "pw".into());
    valid(
        &MINIMAL.replace("password: p", "password: {env: YARDI_PASSWORD}"),
        &env,
    );
    valid(
        &MINIMAL.replace("password: p", "password: \"{not-a-reference}\""),
        &env,
    );
}
