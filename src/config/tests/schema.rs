//! The JSON Schema of `lockstep config schema`: it accepts `config.example.yaml` and rejects what
//! the parser rejects, checked by a small structural validator (no JSON Schema crate needed).

use super::*;
use serde_json::Value as Json;

/// A small JSON Schema checker for what `schemars` emits: `$ref`, `type`, `properties`,
/// `additionalProperties`, `required`, `items`, `anyOf`, `oneOf`, `minimum`, `minLength`.
fn check_schema(root: &Json, schema: &Json, value: &Json, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Json::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return check_schema(root, &root["$defs"][name], value, path, errors);
    }
    for (key, pick_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(options) = schema.get(key).and_then(Json::as_array) {
            let passing = options
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    check_schema(root, s, value, path, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (pick_one && passing > 1) {
                errors.push(format!("{path}: {passing} of the {key} options match"));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Json::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{path}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Json::String(t) => vec![t.as_str()],
            Json::Array(ts) => ts.iter().filter_map(Json::as_str).collect(),
            _ => vec![],
        };
        let fits = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| fits(t)) {
            errors.push(format!("{path}: is not {types:?}"));
            return;
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Json::as_f64), value.as_f64()) {
        if n < min {
            errors.push(format!("{path}: below {min}"));
        }
    }
    if let (Some(min), Some(s)) = (
        schema.get("minLength").and_then(Json::as_u64),
        value.as_str(),
    ) {
        if (s.chars().count() as u64) < min {
            errors.push(format!("{path}: shorter than {min}"));
        }
    }
    if let Some(map) = value.as_object() {
        let props = schema.get("properties").and_then(Json::as_object);
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if !map.contains_key(required.as_str().unwrap_or_default()) {
                errors.push(format!("{path}: {required} is required"));
            }
        }
        for (k, v) in map {
            let child = format!("{path}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => check_schema(root, s, v, &child, errors),
                (None, Some(Json::Bool(false))) => errors.push(format!("{child}: unknown key")),
                (None, Some(s)) if s.is_object() => check_schema(root, s, v, &child, errors),
                (None, _) => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check_schema(root, items, v, &format!("{path}[{i}]"), errors);
        }
    }
}

#[test]
fn the_schema_accepts_the_example_and_rejects_what_the_parser_rejects() {
    let schema: Json = serde_json::from_str(&schema_json()).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(
        !schema_json().contains("\"Raw"),
        "type names leak into the schema"
    );
    let interval = &schema["properties"]["interval"];
    assert!(
        interval["description"]
            .as_str()
            .unwrap_or_default()
            .contains("duration"),
        "{interval}"
    );
    let example: Json = serde_yaml::from_str(EXAMPLE).expect("example");
    let mut errs = Vec::new();
    check_schema(&schema, &schema, &example, "", &mut errs);
    assert!(errs.is_empty(), "{errs:#?}");
    assert!(
        EXAMPLE.starts_with("# yaml-language-server: $schema=./lockstep.schema.json\n"),
        "config.example.yaml points editors at the schema on its first line"
    );

    for (bad, expected) in [
        ("portfolio: a\nportfollio: b\n", ".portfollio: unknown key"),
        (
            "properties: {p1: {units: {pattern: 5}}}\n",
            ".properties.p1.units.pattern: is not",
        ),
        (
            "sources: {s: {password: {env: A, file: b}}}\n",
            ".sources.s.password: 0 of the",
        ),
        (
            "access_systems: {k: {colour: blue}}\n",
            ".access_systems.k.colour: unknown key",
        ),
        (
            "defaults: {mode: sometimes}\n",
            ".defaults.mode: \"sometimes\" is not one of",
        ),
        (
            "api: {tokens: [{role: boss}]}\n",
            ".api.tokens[0].role: \"boss\" is not one of",
        ),
    ] {
        let value: Json = serde_yaml::from_str(bad).expect("yaml");
        let mut errs = Vec::new();
        check_schema(&schema, &schema, &value, "", &mut errs);
        assert!(
            errs.iter().any(|e| e.starts_with(expected)),
            "{bad}: {errs:#?}"
        );
    }
}
