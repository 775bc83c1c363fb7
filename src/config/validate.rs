//! `Config::from_raw`: cross-field validation returning every error with its path.
//!
//! Each check records an error and carries on with a placeholder, so one pass over the raw config
//! reports everything wrong with it (linkerd, vector). Connectors and properties live in the
//! submodules; reading YAML text and files lives in `load`.

mod audit;
mod connectors;
mod duration;
mod events;
mod guests;
mod kinds;
mod load;
mod notifications;
mod pins;
mod property;
mod secret;
mod words;

use super::raw::{RawConfig, RawLog, RawToken};
use super::*;
use duration::{bounds, resync};
use std::fmt;
pub(crate) use words::DURATION_KEYS;

/// One configuration error with its location, e.g.
/// `properties.maple-court.access_system: no access system named "kisii"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the offending key, e.g. `sources.yardi-main.url` or `api.tokens[0].sha256`.
    pub path: String,
    pub message: String,
}

/// Every error found in one configuration, in the order they were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    fn one(path: impl Into<String>, message: impl Into<String>) -> ConfigErrors {
        ConfigErrors(vec![ConfigError {
            path: path.into(),
            message: message.into(),
        }])
    }
}

/// `path: message`.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// One line per error: `path: message`.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
impl std::error::Error for ConfigErrors {}

/// Collects errors while building the validated config.
struct Check<'a> {
    errors: Vec<ConfigError>,
    env: &'a dyn Env,
    secrets: Secrets,
}

impl Check<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn required(&mut self, path: &str, value: &Option<String>) -> String {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v.to_string(),
            Some(_) => {
                self.err(path, "must not be empty");
                String::new()
            }
            None => {
                self.err(path, "is required");
                String::new()
            }
        }
    }

    /// An http(s) URL, returned without a trailing slash.
    fn url(&mut self, path: &str, value: &Option<String>) -> String {
        let url = self.required(path, value);
        if url.is_empty() {
            return url;
        }
        let host = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        match host {
            None => self.err(path, format!("{url:?} must start with http:// or https://")),
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                self.err(path, format!("{url:?} has no host"))
            }
            Some(rest) if rest.contains(char::is_whitespace) => {
                self.err(path, format!("{url:?} contains whitespace"))
            }
            Some(_) => {}
        }
        url.trim_end_matches('/').to_string()
    }

    fn rps(&mut self, path: &str, value: Option<f64>) -> Option<f64> {
        match value {
            Some(r) if !(r > 0.0 && r.is_finite()) => {
                self.err(
                    path,
                    format!("{r} must be a number of requests per second above 0"),
                );
                None
            }
            other => other,
        }
    }

    /// Names of sources, access systems and properties appear in URLs, metric labels and
    /// external ids (`lockstep:<source>:<person>`), so they stay plain.
    fn name(&mut self, path: &str, name: &str) {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let ok = name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.chars().all(plain);
        if !ok {
            self.err(
                path,
                format!(
                    "{name:?} is not a valid name: use up to 64 letters, digits, '.', '_' or '-', \
                     starting with a letter or digit"
                ),
            );
        }
    }
}

impl Config {
    /// Validates a raw config: applies defaults, resolves secrets through `env` and checks every
    /// cross-field rule. Returns all errors found, not just the first.
    pub fn from_raw(raw: RawConfig, env: &dyn Env) -> Result<Config, ConfigErrors> {
        Config::from_raw_with(raw, env, Secrets::Resolve)
    }

    /// [`Config::from_raw`], resolving secrets or only checking their shape (then a secret's
    /// value is empty and its origin says it was not read).
    pub fn from_raw_with(
        raw: RawConfig,
        env: &dyn Env,
        secrets: Secrets,
    ) -> Result<Config, ConfigErrors> {
        let mut c = Check {
            errors: Vec::new(),
            env,
            secrets,
        };
        let portfolio = c.required("portfolio", &raw.portfolio);
        let data_dir = match &raw.data_dir {
            None => PathBuf::from("/var/lib/lockstep"),
            Some(_) => PathBuf::from(c.required("data_dir", &raw.data_dir)),
        };
        let tokens = tokens(&mut c, &raw.api.tokens);
        let listen = listen(&mut c, raw.listen.as_deref(), tokens.is_empty());
        let interval = c.duration_in(
            "interval",
            raw.interval.as_deref(),
            secs(60),
            bounds::INTERVAL,
        );
        let resync = resync(&mut c, raw.resync.as_deref(), interval);
        let quarantine_retry = c.duration_in(
            "quarantine_retry",
            raw.quarantine_retry.as_deref(),
            secs(300),
            bounds::QUARANTINE_RETRY,
        );
        let shutdown_grace = c.duration_in(
            "shutdown_grace",
            raw.shutdown_grace.as_deref(),
            secs(30),
            bounds::SHUTDOWN_GRACE,
        );
        let concurrency = match raw.concurrency {
            None => 4,
            Some(n) if (1..=64).contains(&n) => n as usize,
            Some(n) => {
                c.err("concurrency", format!("{n} is out of range (1 to 64)"));
                4
            }
        };
        let log = log(&mut c, &raw.log);
        let audit = audit::anchor(&mut c, &raw.audit, &data_dir);
        let notifications = notifications::sink(&mut c, raw.notifications.as_ref());
        let defaults = property::defaults(&mut c, &raw.defaults);
        let mut sources = BTreeMap::new();
        for (name, s) in &raw.sources {
            c.name(&format!("sources.{name}"), name);
            if let Some(s) = connectors::source(&mut c, name, s, &defaults) {
                sources.insert(name.clone(), s);
            }
        }
        events::unique_senders(&mut c, &sources);
        let mut access_systems = BTreeMap::new();
        for (name, a) in &raw.access_systems {
            c.name(&format!("access_systems.{name}"), name);
            if let Some(a) = connectors::access_system(&mut c, name, a, &defaults) {
                access_systems.insert(name.clone(), a);
            }
        }
        let known = property::Known {
            sources: raw.sources.keys().map(String::as_str).collect(),
            access_systems: raw.access_systems.keys().map(String::as_str).collect(),
        };
        let mut properties = BTreeMap::new();
        for (id, p) in &raw.properties {
            c.name(&format!("properties.{id}"), id);
            let built = property::property(&mut c, id, p, &defaults, &known);
            properties.insert(id.clone(), built);
        }
        property::no_shared_targets(&mut c, &properties);
        pins::all(
            &mut c,
            &raw,
            &mut properties,
            &access_systems,
            notifications.is_some(),
        );
        if !c.errors.is_empty() {
            return Err(ConfigErrors(c.errors));
        }
        Ok(Config {
            portfolio,
            data_dir,
            listen,
            interval,
            concurrency,
            shutdown_grace,
            quarantine_retry,
            resync,
            log,
            api: ApiConfig { tokens },
            lost_credential: LostCredentialConfig {
                immediate: raw.lost_credential.immediate.unwrap_or(true),
            },
            audit,
            notifications,
            sources,
            access_systems,
            properties,
        })
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The listener address; anything but loopback needs API tokens (DESIGN §8).
fn listen(c: &mut Check<'_>, raw: Option<&str>, no_tokens: bool) -> SocketAddr {
    let default = SocketAddr::from(([127, 0, 0, 1], 9797));
    let Some(text) = raw else { return default };
    match text.trim().parse::<SocketAddr>() {
        Ok(addr) => {
            if !addr.ip().is_loopback() && no_tokens {
                c.err(
                    "listen",
                    format!("{addr} is not a loopback address; configure api.tokens first"),
                );
            }
            addr
        }
        Err(_) => {
            c.err(
                "listen",
                format!("{text:?} is not an IP address and port (e.g. 127.0.0.1:9797)"),
            );
            default
        }
    }
}

fn log(c: &mut Check<'_>, raw: &RawLog) -> LogConfig {
    let format = match raw.format.as_deref().map(str::trim) {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            c.err(
                "log.format",
                format!("unknown format {other:?} (expected text or json)"),
            );
            LogFormat::Text
        }
    };
    let level = raw.level.as_deref().unwrap_or("info").trim().to_string();
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&level) {
        c.err(
            "log.level",
            format!("{level:?} is not a log filter (e.g. info, lockstep=debug): {e}"),
        );
    }
    LogConfig { format, level }
}

fn tokens(c: &mut Check<'_>, raw: &[RawToken]) -> Vec<ApiToken> {
    let mut out: Vec<ApiToken> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let path = format!("api.tokens[{i}]");
        let name = c.required(&format!("{path}.name"), &t.name);
        let role = match t.role.as_deref().map(str::trim) {
            Some("viewer") => Role::Viewer,
            Some("approver") => Role::Approver,
            Some("admin") => Role::Admin,
            Some(other) => {
                c.err(
                    format!("{path}.role"),
                    format!("unknown role {other:?} (expected viewer, approver or admin)"),
                );
                Role::Viewer
            }
            None => {
                c.err(
                    format!("{path}.role"),
                    "is required (viewer, approver or admin)",
                );
                Role::Viewer
            }
        };
        let hash = c.required(&format!("{path}.sha256"), &t.sha256);
        let mut sha256 = [0u8; 32];
        match hex::decode(&hash) {
            _ if hash.is_empty() => {}
            Ok(bytes) if bytes.len() == 32 => sha256.copy_from_slice(&bytes),
            _ => c.err(
                format!("{path}.sha256"),
                "must be 64 hex characters: the SHA-256 of the token, not the token",
            ),
        }
        if let Some(j) = out.iter().position(|o| !name.is_empty() && o.name == name) {
            c.err(
                format!("{path}.name"),
                format!("duplicate token name {name:?} (also api.tokens[{j}])"),
            );
        }
        if let Some(j) = out
            .iter()
            .position(|o| sha256 != [0u8; 32] && o.sha256 == sha256)
        {
            c.err(
                format!("{path}.sha256"),
                format!("the same token hash as api.tokens[{j}]"),
            );
        }
        out.push(ApiToken { name, role, sha256 });
    }
    out
}
