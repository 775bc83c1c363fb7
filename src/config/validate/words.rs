//! serde's messages in the operator's terms: `invalid type: integer `5`, expected i64` becomes
//! `expected a whole number, found the number 5`. No message leaves here naming a Rust type.

/// Keys whose values are durations, so a wrong type says "a duration", not "a string".
pub(crate) const DURATION_KEYS: &[&str] = &[
    "interval",
    "resync",
    "shutdown_grace",
    "quarantine_retry",
    "timeout",
    "stale_after",
    "activation_delay",
    "checkpoint_interval",
    "settle",
    "poll_interval",
    "max_duration",
];

/// serde's `invalid type: integer `5`, expected a string` as the operator would say it:
/// `expected a duration like "30s", "15m" or "1h", found the number 5`.
pub(super) fn plain(path: &str, message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return format!(
                "expected {}, found {}",
                expected_words(path, expected),
                found_words(found)
            );
        }
    }
    message.to_string()
}

/// `, expected one of `a`, `b`` after an unknown key: the list of keys, in plain words.
pub(super) fn plain_expected(tail: &str) -> String {
    let list = tail
        .strip_prefix(", expected one of ")
        .or_else(|| tail.strip_prefix(", expected "));
    match list {
        Some(list) => format!(
            " (known keys: {})",
            list.replace('`', "").replace(" or ", ", ")
        ),
        None => tail.replace("there are no fields", "no keys are allowed here"),
    }
}

/// The last key of a dotted path, without list indices.
fn last_key(path: &str) -> &str {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.split('[').next().unwrap_or(last)
}

fn expected_words(path: &str, expected: &str) -> String {
    let key = last_key(path);
    if DURATION_KEYS.contains(&key) && !path.ends_with(']') {
        return "a duration like \"30s\", \"15m\" or \"1h\"".into();
    }
    if key == "max_revocations" {
        return "a number or a percentage like \"10%\"".into();
    }
    let e = expected.trim();
    match e {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".into(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a string" => "text".into(),
        "a sequence" => "a list".into(),
        "a map" | "a map of names" => "a map of names (name: ... lines)".into(),
        _ if e.starts_with("struct ") => "a section of settings (key: value lines)".into(),
        _ if e.starts_with("enum ") || e.contains("variant") => {
            "one of the documented values".into()
        }
        _ => e.replace('`', ""),
    }
}

fn found_words(found: &str) -> String {
    let unquoted = |s: &str| s.trim_matches('`').to_string();
    if let Some(n) = found
        .strip_prefix("integer ")
        .or_else(|| found.strip_prefix("floating point "))
    {
        return format!("the number {}", unquoted(n));
    }
    if let Some(b) = found.strip_prefix("boolean ") {
        return unquoted(b);
    }
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the text {s}");
    }
    match found {
        "map" => "a map".into(),
        "sequence" => "a list".into(),
        "unit value" => "nothing".into(),
        other if other.contains("variant") || other.contains("struct") => "a tagged value".into(),
        other => unquoted(other),
    }
}
