//! Resolving secrets: `{env: NAME}`, `{file: PATH}` or a value in the file. Messages name the
//! variable or file, never the value, and never text that may have been the value.

use super::Check;
use crate::config::raw::RawSecret;
use crate::config::{Secret, Secrets};
use std::path::Path;

impl Check<'_> {
    /// Resolves a secret. Messages name the variable or file, never the value.
    pub(super) fn secret(&mut self, path: &str, value: &Option<RawSecret>) -> Secret {
        let missing = Secret {
            value: String::new(),
            origin: "missing".into(),
        };
        match value {
            None => {
                self.err(
                    path,
                    "is required (give {env: NAME}, {file: PATH} or a value)",
                );
                missing
            }
            Some(RawSecret::Plain(v)) if v.is_empty() => {
                self.err(path, "must not be empty");
                missing
            }
            Some(RawSecret::Plain(v)) => Secret {
                value: v.clone(),
                origin: "the config file".into(),
            },
            Some(RawSecret::Env(name)) if !env_name(name) => {
                // Not a variable name: perhaps the secret itself, so it is not repeated.
                self.err(
                    path,
                    "env: is not an environment variable name (letters, digits and _, not \
                     starting with a digit); the text is not shown, it may be the secret",
                );
                missing
            }
            Some(RawSecret::Env(name)) if self.secrets == Secrets::ShapeOnly => Secret {
                value: String::new(),
                origin: format!("env {name} (not read: --skip-secrets)"),
            },
            Some(RawSecret::File(file)) if self.secrets == Secrets::ShapeOnly => {
                if file.trim().is_empty() {
                    self.err(path, "file: must name a file");
                } else if file.contains('\0') {
                    self.err(path, "file: is not a valid path");
                }
                Secret {
                    value: String::new(),
                    origin: format!("file {file} (not read: --skip-secrets)"),
                }
            }
            Some(RawSecret::Env(name)) => match self.env.var(name) {
                Some(v) if !v.is_empty() => Secret {
                    value: v,
                    origin: format!("env {name}"),
                },
                Some(_) => {
                    self.err(path, format!("environment variable {name} is empty"));
                    missing
                }
                None => {
                    self.err(path, format!("environment variable {name} is not set"));
                    missing
                }
            },
            Some(RawSecret::File(file)) => match self.env.read_file(Path::new(file)) {
                Ok(text) => {
                    let v = text.strip_suffix('\n').unwrap_or(&text);
                    let v = v.strip_suffix('\r').unwrap_or(v);
                    if v.is_empty() {
                        self.err(path, format!("secret file {file} is empty"));
                        return missing;
                    }
                    Secret {
                        value: v.to_string(),
                        origin: format!("file {file}"),
                    }
                }
                Err(e) => {
                    self.err(path, format!("cannot read secret file {file}: {e}"));
                    missing
                }
            },
        }
    }
}

/// `NAME` of `{env: NAME}`: what a shell would accept as a variable name.
fn env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
