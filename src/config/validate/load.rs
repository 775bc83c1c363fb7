//! Reading configuration text and files. YAML syntax errors stop at once; every unknown or
//! malformed key is reported in the operator's terms (no Rust type names), dropped, and the rest
//! of the file is still parsed and validated, so one run shows every error.

use super::words::{plain, plain_expected};
use super::{ConfigError, ConfigErrors};
use crate::config::raw::RawConfig;
use crate::config::{Config, Env, Secrets};
use serde_yaml::Value;
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

/// A bound on the parse-drop-retry loop: a file with more malformed keys than this is reported
/// up to here.
const MAX_SHAPE_ERRORS: usize = 100;

impl Config {
    /// Parses YAML text and validates it, resolving secrets. Every error is reported at once.
    pub fn from_yaml_str(text: &str, env: &dyn Env) -> Result<Config, ConfigErrors> {
        Config::from_yaml_str_with(text, env, Secrets::Resolve)
    }

    /// [`Config::from_yaml_str`], resolving secrets or checking only their shape. A YAML syntax
    /// error is reported alone (with its line); otherwise unknown and malformed keys are reported
    /// together with every validation error of the rest of the file.
    pub fn from_yaml_str_with(
        text: &str,
        env: &dyn Env,
        secrets: Secrets,
    ) -> Result<Config, ConfigErrors> {
        let parsed = parse(text);
        let mut errors = parsed.errors;
        let Some(raw) = parsed.raw else {
            return Err(ConfigErrors(errors));
        };
        match Config::from_raw_with(raw, env, secrets) {
            Ok(config) if errors.is_empty() => Ok(config),
            Ok(_) => Err(ConfigErrors(errors)),
            Err(ConfigErrors(more)) => {
                // A dropped key's "is required" or default-based complaint would be noise.
                let dropped = |p: &str| {
                    parsed.dropped.iter().any(|d| {
                        p == d || p.starts_with(&format!("{d}.")) || p.starts_with(&format!("{d}["))
                    })
                };
                errors.extend(more.into_iter().filter(|e| !dropped(&e.path)));
                Err(ConfigErrors(errors))
            }
        }
    }

    /// Reads (through `env`, so tests need no files) and validates a config file.
    pub fn load(path: &Path, env: &dyn Env) -> Result<Config, ConfigErrors> {
        Config::load_with(path, env, Secrets::Resolve)
    }

    /// [`Config::load`], resolving secrets or checking only their shape.
    pub fn load_with(path: &Path, env: &dyn Env, secrets: Secrets) -> Result<Config, ConfigErrors> {
        let text = env.read_file(path).map_err(|e| {
            ConfigErrors::one(
                path.display().to_string(),
                format!("cannot read the config file: {e}"),
            )
        })?;
        Config::from_yaml_str_with(&text, env, secrets)
    }
}

/// What parsing found: the raw config (when the document could be read at all), the shape
/// errors, and the paths dropped to get past them.
struct Parsed {
    raw: Option<RawConfig>,
    errors: Vec<ConfigError>,
    dropped: Vec<String>,
}

/// Parses `text` as a `RawConfig`. On a shape error (unknown key, wrong type) the error is kept,
/// the offending key is removed from the document and the parse is tried again, so that every
/// such error is found and the rest of the file still gets validated.
fn parse(text: &str) -> Parsed {
    let mut out = Parsed {
        raw: None,
        errors: Vec::new(),
        dropped: Vec::new(),
    };
    // The document as a tree, once a key has been dropped from it; `None` while untouched.
    let mut edited: Option<Value> = None;
    for _ in 0..MAX_SHAPE_ERRORS {
        let result = match &edited {
            None => serde_yaml::from_str::<RawConfig>(text),
            Some(v) => serde_yaml::to_string(v).and_then(|t| serde_yaml::from_str(&t)),
        };
        let e = match result {
            Ok(raw) => {
                out.raw = Some(raw);
                return out;
            }
            Err(e) => e,
        };
        // Lines reported by serde are the original text's only before the first edit.
        let mut err = yaml_error(&e, edited.is_none());
        let tree = match edited.as_mut() {
            Some(tree) => tree,
            None => match serde_yaml::from_str::<Value>(text) {
                Ok(tree) => edited.insert(tree),
                Err(_) => {
                    out.errors.push(err);
                    return out;
                }
            },
        };
        if edited_line_missing(&err) {
            if let Some(line) = line_of(text, &err.path) {
                err.message = format!("{} (line {line})", err.message);
            }
        }
        let removed = remove(tree, &err.path);
        out.errors.push(err);
        match removed {
            Some(path) => out.dropped.push(path),
            None => return out,
        }
    }
    out.errors.push(ConfigError {
        path: DOCUMENT.into(),
        message: format!("more than {MAX_SHAPE_ERRORS} errors; fix these first"),
    });
    out
}

fn edited_line_missing(e: &ConfigError) -> bool {
    !e.message.contains("(line ")
}

/// Turns a yaml_serde error (`path: message at line L column C`) into a `ConfigError` in the
/// operator's terms, pointing at the offending key itself for unknown, duplicate and missing keys.
fn yaml_error(e: &serde_yaml::Error, with_line: bool) -> ConfigError {
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
            message = format!("{what}{}", plain_expected(tail));
            break;
        }
    }
    message = plain(&path, &message);
    if let (Some((line, column)), true) = (location, with_line) {
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

/// Removes the key or list at `path` (as yaml_serde writes it: `a.b[0].c`) from `tree`;
/// returns the path actually removed. A bad list element takes its whole list with it, so the
/// indices of later errors stay those of the file.
fn remove(tree: &mut Value, path: &str) -> Option<String> {
    if path == DOCUMENT || path.is_empty() {
        return None;
    }
    let target = match path.rfind('[') {
        Some(i) if path.ends_with(']') => &path[..i],
        _ => path,
    };
    remove_in(tree, target).then(|| target.to_string())
}

fn remove_in(node: &mut Value, path: &str) -> bool {
    match node {
        Value::Mapping(map) => {
            let keys: Vec<Value> = map.keys().cloned().collect();
            for key in keys {
                let Some(name) = key_text(&key) else { continue };
                if path == name {
                    return map.remove(&key).is_some();
                }
                let rest = path.strip_prefix(name.as_str()).and_then(|r| {
                    r.strip_prefix('.')
                        .or_else(|| r.starts_with('[').then_some(r))
                });
                if let (Some(rest), Some(child)) = (rest, map.get_mut(&key)) {
                    if remove_in(child, rest) {
                        return true;
                    }
                }
            }
            false
        }
        Value::Sequence(items) => {
            let Some((index, rest)) = path
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
            else {
                return false;
            };
            let rest = rest.strip_prefix('.').unwrap_or(rest);
            match items.get_mut(index) {
                Some(child) if !rest.is_empty() => remove_in(child, rest),
                _ => false,
            }
        }
        Value::Tagged(tagged) => remove_in(&mut tagged.value, path),
        _ => false,
    }
}

fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The line of `path` in block-style YAML text, best effort: each key is looked for below its
/// parent, more indented than it; when one is not found, the line of the deepest one that was.
fn line_of(text: &str, path: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut parent_indent: Option<usize> = None;
    let mut found = None;
    for segment in path.split('.') {
        let key = segment.split('[').next().unwrap_or(segment);
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let indent = line.len() - content.len();
            if parent_indent.is_some_and(|p| indent <= p) {
                break;
            }
            let content = content.trim_start_matches("- ");
            let bare = content.trim_start_matches(['"', '\'']);
            if bare.starts_with(key)
                && bare[key.len()..]
                    .trim_start_matches(['"', '\''])
                    .starts_with(':')
            {
                hit = Some((i, indent));
                break;
            }
        }
        // Not found (a flow mapping such as `{a: 1}`): the parent's line is still a pointer.
        let Some((i, indent)) = hit else {
            return found;
        };
        found = Some(i + 1);
        from = i + 1;
        parent_indent = Some(indent);
    }
    found
}
