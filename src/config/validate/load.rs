//! Reading configuration text and files; YAML syntax and shape errors become located errors.

use super::{ConfigError, ConfigErrors};
use crate::config::raw::RawConfig;
use crate::config::{Config, Env};
use std::path::Path;

/// The path shown for errors that concern the document as a whole (syntax, wrong top-level shape).
const DOCUMENT: &str = "(document)";

/// How serde's own messages start. yaml_serde prefixes a message with `path: ` except at the
/// root, so these tell a root-level message from one that carries a path.
const SERDE_MESSAGES: &[&str] = &[
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown variant",
    "unknown field",
    "missing field",
    "duplicate field",
    "duplicate key",
    "unexpected key",
];

impl Config {
    /// Parses YAML text and validates it. A YAML syntax or shape error (an unknown key, a list
    /// where a map belongs) stops parsing and is reported alone, with its path and line; every
    /// validation error after that is reported at once.
    pub fn from_yaml_str(text: &str, env: &dyn Env) -> Result<Config, ConfigErrors> {
        let raw: RawConfig =
            serde_yaml::from_str(text).map_err(|e| ConfigErrors(vec![yaml_error(&e)]))?;
        Config::from_raw(raw, env)
    }

    /// Reads (through `env`, so tests need no files) and validates a config file.
    pub fn load(path: &Path, env: &dyn Env) -> Result<Config, ConfigErrors> {
        let text = env.read_file(path).map_err(|e| {
            ConfigErrors::one(
                path.display().to_string(),
                format!("cannot read the config file: {e}"),
            )
        })?;
        Config::from_yaml_str(&text, env)
    }
}

/// Turns a yaml_serde error (`path: message at line L column C`) into a `ConfigError`, pointing
/// at the offending key itself for unknown, duplicate and missing keys.
fn yaml_error(e: &serde_yaml::Error) -> ConfigError {
    let full = e.to_string();
    let location = e.location().map(|l| (l.line(), l.column()));
    let text = location
        .and_then(|(line, column)| full.strip_suffix(&format!(" at line {line} column {column}")))
        .unwrap_or(&full);
    let (mut path, mut message) = split_path(text);
    for (marker, what) in [
        ("unknown field `", "unknown key"),
        ("duplicate field `", "appears more than once"),
        ("duplicate key `", "appears more than once"),
        ("missing field `", "is required"),
    ] {
        if let Some((key, tail)) = message
            .strip_prefix(marker)
            .and_then(|rest| rest.split_once('`'))
        {
            path = match path.as_str() {
                DOCUMENT => key.to_string(),
                parent => format!("{parent}.{key}"),
            };
            message = format!("{what}{tail}");
            break;
        }
    }
    if let Some((line, column)) = location {
        if !message.contains(" at line ") {
            message = format!("{message} (line {line}, column {column})");
        }
    }
    ConfigError { path, message }
}

fn split_path(text: &str) -> (String, String) {
    if SERDE_MESSAGES.iter().any(|m| text.starts_with(m)) {
        return (DOCUMENT.into(), text.into());
    }
    match text.split_once(": ") {
        Some((path, message)) if !path.is_empty() => (path.into(), message.into()),
        _ => (DOCUMENT.into(), text.into()),
    }
}
