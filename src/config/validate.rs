//! `Config::from_raw`: cross-field validation returning every error with its path.

use super::raw::{RawAccessSystem, RawConfig, RawProperty, RawSecret, RawSource};
use super::*;
use crate::plan::RevocationLimit;
use std::fmt;
use std::path::Path;

/// One configuration error with its location, e.g.
/// `properties.maple-court.access_system: no access system named "kisii"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

/// Every error found in one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while building the validated config.
struct Check<'a> {
    errors: Vec<ConfigError>,
    env: &'a dyn Env,
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
            _ => {
                self.err(path, "is required");
                String::new()
            }
        }
    }

    fn duration(
        &mut self,
        path: &str,
        value: Option<&str>,
        default: Duration,
        allow_zero: bool,
    ) -> Duration {
        let Some(text) = value else { return default };
        match humantime::parse_duration(text.trim()) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.err(path, "must be greater than zero");
                default
            }
            Ok(d) => d,
            Err(e) => {
                self.err(
                    path,
                    format!("{text:?} is not a duration (e.g. 30s, 15m, 1h): {e}"),
                );
                default
            }
        }
    }

    fn url(&mut self, path: &str, value: &Option<String>) -> String {
        let url = self.required(path, value);
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            self.err(path, format!("{url:?} must start with http:// or https://"));
        }
        url.trim_end_matches('/').to_string()
    }

    fn secret(&mut self, path: &str, value: &Option<RawSecret>) -> Secret {
        let empty = Secret {
            value: String::new(),
            origin: "missing".into(),
        };
        match value {
            None => {
                self.err(
                    path,
                    "is required (give {env: NAME}, {file: PATH} or a value)",
                );
                empty
            }
            Some(RawSecret::Plain(v)) if v.is_empty() => {
                self.err(path, "is empty");
                empty
            }
            Some(RawSecret::Plain(v)) => Secret {
                value: v.clone(),
                origin: "the config file".into(),
            },
            Some(RawSecret::Env { env }) => match self.env.var(env) {
                Some(v) if !v.is_empty() => Secret {
                    value: v,
                    origin: format!("env {env}"),
                },
                _ => {
                    self.err(
                        path,
                        format!("environment variable {env} is not set or empty"),
                    );
                    empty
                }
            },
            Some(RawSecret::File { file }) => match self.env.read_file(Path::new(file)) {
                Ok(v) if !v.trim_end_matches(['\n', '\r']).is_empty() => Secret {
                    value: v.trim_end_matches(['\n', '\r']).to_string(),
                    origin: format!("file {file}"),
                },
                Ok(_) => {
                    self.err(path, format!("secret file {file} is empty"));
                    empty
                }
                Err(e) => {
                    self.err(path, format!("cannot read secret file {file}: {e}"));
                    empty
                }
            },
        }
    }

    fn rps(&mut self, path: &str, value: Option<f64>) -> Option<f64> {
        match value {
            Some(r) if !(r > 0.0 && r.is_finite()) => {
                self.err(path, "must be a positive number of requests per second");
                None
            }
            other => other,
        }
    }

    /// Names set for another connector type, e.g. `auth_url` on a kisi system.
    fn not_for(&mut self, base: &str, kind: &str, set: &[(&str, bool)]) {
        for (field, present) in set {
            if *present {
                self.err(
                    format!("{base}.{field}"),
                    format!("is not an option of type {kind}"),
                );
            }
        }
    }
}

/// Property settings after applying `defaults`.
struct Settings {
    mode: Mode,
    revocations: RevocationMode,
    activation_delay: Duration,
    max_revocations: RevocationLimit,
    stale_after: Duration,
}

fn mode(check: &mut Check<'_>, path: &str, v: Option<&str>, default: Mode) -> Mode {
    match v {
        None => default,
        Some("approval_required") => Mode::ApprovalRequired,
        Some("automatic") => Mode::Automatic,
        Some(other) => {
            check.err(
                path,
                format!("unknown mode {other:?} (expected approval_required or automatic)"),
            );
            default
        }
    }
}

fn revocations(
    check: &mut Check<'_>,
    path: &str,
    v: Option<&str>,
    default: RevocationMode,
) -> RevocationMode {
    match v {
        None => default,
        Some("with_mode") => RevocationMode::WithMode,
        Some("always_automatic") => RevocationMode::AlwaysAutomatic,
        Some(other) => {
            check.err(
                path,
                format!("unknown value {other:?} (expected with_mode or always_automatic)"),
            );
            default
        }
    }
}

fn limit(
    check: &mut Check<'_>,
    path: &str,
    v: Option<&serde_yaml::Value>,
    floor: Option<i64>,
    default: RevocationLimit,
) -> RevocationLimit {
    let floor_of = |d: &RevocationLimit| match d {
        RevocationLimit::Percent { floor, .. } => *floor,
        RevocationLimit::Count(_) => 5,
    };
    let floor = match floor {
        Some(f) if f >= 0 => f as usize,
        Some(_) => {
            check.err(format!("{path}_floor"), "must not be negative");
            floor_of(&default)
        }
        None => floor_of(&default),
    };
    match v {
        None => match default {
            RevocationLimit::Percent { percent, .. } => RevocationLimit::Percent { percent, floor },
            count => count,
        },
        Some(serde_yaml::Value::Number(n)) => match n.as_u64() {
            Some(n) => RevocationLimit::Count(n as usize),
            None => {
                check.err(path, "must be a whole number or a percentage like \"10%\"");
                default
            }
        },
        Some(serde_yaml::Value::String(s)) => match s
            .trim()
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
        {
            Some(p) if p > 0.0 && p <= 100.0 => RevocationLimit::Percent { percent: p, floor },
            Some(_) => {
                check.err(
                    path,
                    format!("{s:?} must be a percentage above 0% and at most 100%"),
                );
                default
            }
            None => match s.trim().parse::<usize>() {
                Ok(n) => RevocationLimit::Count(n),
                Err(_) => {
                    check.err(
                        path,
                        format!("{s:?} is neither a count nor a percentage like \"10%\""),
                    );
                    default
                }
            },
        },
        Some(_) => {
            check.err(path, "must be a whole number or a percentage like \"10%\"");
            default
        }
    }
}

impl Config {
    /// Parses YAML text and validates it; every problem is reported with its path.
    pub fn from_yaml_str(text: &str, env: &dyn Env) -> Result<Config, ConfigErrors> {
        let raw: RawConfig = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
                .unwrap_or_default();
            let message = e.to_string();
            let path = message
                .split_once(": ")
                .map(|(p, _)| p.to_string())
                .filter(|p| !p.contains(' '))
                .unwrap_or_else(|| "(document)".into());
            ConfigErrors(vec![ConfigError {
                path,
                message: format!("{message}{at}"),
            }])
        })?;
        Config::from_raw(raw, env)
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path, env: &dyn Env) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                path: path.display().to_string(),
                message: format!("cannot read: {e}"),
            }])
        })?;
        Config::from_yaml_str(&text, env)
    }

    pub fn from_raw(raw: RawConfig, env: &dyn Env) -> Result<Config, ConfigErrors> {
        let mut c = Check {
            errors: Vec::new(),
            env,
        };
        let portfolio = c.required("portfolio", &raw.portfolio);
        let listen_text = raw
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:9797".into());
        let listen: SocketAddr = listen_text.parse().unwrap_or_else(|e| {
            c.err(
                "listen",
                format!("{listen_text:?} is not an address:port: {e}"),
            );
            SocketAddr::from(([127, 0, 0, 1], 9797))
        });
        let interval = c.duration(
            "interval",
            raw.interval.as_deref(),
            Duration::from_secs(60),
            false,
        );
        let quarantine_retry = c.duration(
            "quarantine_retry",
            raw.quarantine_retry.as_deref(),
            Duration::from_secs(300),
            false,
        );
        let shutdown_grace = c.duration(
            "shutdown_grace",
            raw.shutdown_grace.as_deref(),
            Duration::from_secs(30),
            false,
        );
        let concurrency = match raw.concurrency {
            None => 4,
            Some(n) if (1..=64).contains(&n) => n as usize,
            Some(n) => {
                c.err("concurrency", format!("{n} is out of range (1 to 64)"));
                4
            }
        };
        let format = match raw.log.format.as_deref() {
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
        let tokens = tokens(&mut c, &raw.api.tokens);
        if !listen.ip().is_loopback() && tokens.is_empty() {
            c.err("listen", format!("{listen} is not a loopback address; configure api.tokens before listening elsewhere"));
        }
        let d = &raw.defaults;
        let defaults = Settings {
            mode: mode(
                &mut c,
                "defaults.mode",
                d.mode.as_deref(),
                Mode::ApprovalRequired,
            ),
            revocations: revocations(
                &mut c,
                "defaults.revocations",
                d.revocations.as_deref(),
                RevocationMode::WithMode,
            ),
            activation_delay: c.duration(
                "defaults.activation_delay",
                d.activation_delay.as_deref(),
                Duration::from_secs(900),
                true,
            ),
            max_revocations: limit(
                &mut c,
                "defaults.max_revocations",
                d.max_revocations.as_ref(),
                d.max_revocations_floor,
                RevocationLimit::default(),
            ),
            stale_after: c.duration(
                "defaults.stale_after",
                d.stale_after.as_deref(),
                Duration::from_secs(3600),
                false,
            ),
        };
        let sources = raw
            .sources
            .iter()
            .filter_map(|(name, s)| source(&mut c, name, s, &defaults).map(|s| (name.clone(), s)))
            .collect::<BTreeMap<_, _>>();
        let access_systems = raw
            .access_systems
            .iter()
            .filter_map(|(name, a)| access(&mut c, name, a, &defaults).map(|a| (name.clone(), a)))
            .collect::<BTreeMap<_, _>>();
        let mut properties = BTreeMap::new();
        for (id, p) in &raw.properties {
            let known = (
                raw.sources.keys().collect::<Vec<_>>(),
                raw.access_systems.keys().collect::<Vec<_>>(),
            );
            properties.insert(id.clone(), property(&mut c, id, p, &defaults, &known));
        }
        if !c.errors.is_empty() {
            return Err(ConfigErrors(c.errors));
        }
        Ok(Config {
            portfolio,
            data_dir: PathBuf::from(raw.data_dir.unwrap_or_else(|| "/var/lib/lockstep".into())),
            listen,
            interval,
            concurrency,
            shutdown_grace,
            quarantine_retry,
            log: LogConfig {
                format,
                level: raw.log.level.unwrap_or_else(|| "info".into()),
            },
            api: ApiConfig { tokens },
            lost_credential: LostCredentialConfig {
                immediate: raw.lost_credential.immediate.unwrap_or(true),
            },
            sources,
            access_systems,
            properties,
        })
    }
}

fn tokens(c: &mut Check<'_>, raw: &[super::raw::RawToken]) -> Vec<ApiToken> {
    let mut out: Vec<ApiToken> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let path = format!("api.tokens[{i}]");
        let role = match t.role.as_str() {
            "viewer" => Role::Viewer,
            "approver" => Role::Approver,
            "admin" => Role::Admin,
            other => {
                c.err(
                    format!("{path}.role"),
                    format!("unknown role {other:?} (expected viewer, approver or admin)"),
                );
                Role::Viewer
            }
        };
        let mut sha256 = [0u8; 32];
        match hex::decode(t.sha256.trim()) {
            Ok(bytes) if bytes.len() == 32 => sha256.copy_from_slice(&bytes),
            _ => c.err(
                format!("{path}.sha256"),
                "must be 64 hex characters: the SHA-256 of the token, not the token",
            ),
        }
        if out.iter().any(|o| o.name == t.name) {
            c.err(
                format!("{path}.name"),
                format!("duplicate token name {:?}", t.name),
            );
        }
        out.push(ApiToken {
            name: t.name.clone(),
            role,
            sha256,
        });
    }
    out
}

fn endpoint(
    c: &mut Check<'_>,
    base: &str,
    url: &Option<String>,
    timeout: Option<&str>,
    rps: Option<f64>,
    stale_after: Duration,
) -> Endpoint {
    Endpoint {
        url: c.url(&format!("{base}.url"), url),
        timeout: c.duration(
            &format!("{base}.timeout"),
            timeout,
            Duration::from_secs(30),
            false,
        ),
        requests_per_second: c.rps(&format!("{base}.requests_per_second"), rps),
        stale_after,
    }
}

fn source(c: &mut Check<'_>, name: &str, s: &RawSource, d: &Settings) -> Option<SourceConfig> {
    let base = format!("sources.{name}");
    match s.kind.as_deref() {
        Some("yardi_voyager") => {
            let stale_after = c.duration(
                &format!("{base}.stale_after"),
                s.stale_after.as_deref(),
                d.stale_after,
                false,
            );
            Some(SourceConfig::YardiVoyager(YardiConfig {
                endpoint: endpoint(
                    c,
                    &base,
                    &s.url,
                    s.timeout.as_deref(),
                    s.requests_per_second,
                    stale_after,
                ),
                username: c.required(&format!("{base}.username"), &s.username),
                password: c.secret(&format!("{base}.password"), &s.password),
                server_name: c.required(&format!("{base}.server_name"), &s.server_name),
                database: c.required(&format!("{base}.database"), &s.database),
                platform: s.platform.clone().unwrap_or_else(|| "SQL Server".into()),
                interface_entity: c
                    .required(&format!("{base}.interface_entity"), &s.interface_entity),
                interface_license: c
                    .secret(&format!("{base}.interface_license"), &s.interface_license),
            }))
        }
        Some(other) => {
            c.err(
                format!("{base}.type"),
                format!("unknown source type {other:?} (known: yardi_voyager)"),
            );
            None
        }
        None => {
            c.err(format!("{base}.type"), "is required (known: yardi_voyager)");
            None
        }
    }
}

fn access(
    c: &mut Check<'_>,
    name: &str,
    a: &RawAccessSystem,
    d: &Settings,
) -> Option<AccessSystemConfig> {
    let base = format!("access_systems.{name}");
    match a.kind.as_deref() {
        Some("kisi") => {
            c.not_for(
                &base,
                "kisi",
                &[
                    ("auth_url", a.auth_url.is_some()),
                    ("client_id", a.client_id.is_some()),
                    ("client_secret", a.client_secret.is_some()),
                    ("username", a.username.is_some()),
                    ("password", a.password.is_some()),
                ],
            );
            Some(AccessSystemConfig::Kisi(KisiConfig {
                endpoint: endpoint(
                    c,
                    &base,
                    &a.url,
                    a.timeout.as_deref(),
                    a.requests_per_second,
                    d.stale_after,
                ),
                api_key: c.secret(&format!("{base}.api_key"), &a.api_key),
            }))
        }
        Some("brivo") => Some(AccessSystemConfig::Brivo(BrivoConfig {
            endpoint: endpoint(
                c,
                &base,
                &a.url,
                a.timeout.as_deref(),
                a.requests_per_second,
                d.stale_after,
            ),
            auth_url: c.url(&format!("{base}.auth_url"), &a.auth_url),
            api_key: c.secret(&format!("{base}.api_key"), &a.api_key),
            client_id: c.required(&format!("{base}.client_id"), &a.client_id),
            client_secret: c.secret(&format!("{base}.client_secret"), &a.client_secret),
            username: c.required(&format!("{base}.username"), &a.username),
            password: c.secret(&format!("{base}.password"), &a.password),
        })),
        Some(other) => {
            c.err(
                format!("{base}.type"),
                format!("unknown access system type {other:?} (known: kisi, brivo)"),
            );
            None
        }
        None => {
            c.err(format!("{base}.type"), "is required (known: kisi, brivo)");
            None
        }
    }
}

fn reference(
    c: &mut Check<'_>,
    path: &str,
    value: &Option<String>,
    known: &[&String],
    what: &str,
) -> String {
    let name = c.required(path, value);
    if !name.is_empty() && !known.iter().any(|k| **k == name) {
        let hint = known
            .iter()
            .find(|k| k.starts_with(&name[..name.len().min(3)]))
            .map(|k| format!(" (did you mean {k:?}?)"))
            .unwrap_or_default();
        c.err(path, format!("no {what} named {name:?}{hint}"));
    }
    name
}

fn property(
    c: &mut Check<'_>,
    id: &str,
    p: &RawProperty,
    d: &Settings,
    known: &(Vec<&String>, Vec<&String>),
) -> PropertyConfig {
    let base = format!("properties.{id}");
    let source = reference(c, &format!("{base}.source"), &p.source, &known.0, "source");
    let access_system = reference(
        c,
        &format!("{base}.access_system"),
        &p.access_system,
        &known.1,
        "access system",
    );
    if let Some(pattern) = &p.units.pattern {
        if pattern.matches("{unit}").count() != 1 {
            c.err(
                format!("{base}.units.pattern"),
                format!("{pattern:?} must contain {{unit}} exactly once"),
            );
        }
    }
    for (group, selectors) in &p.units.groups {
        if let Some(bad) = selectors
            .iter()
            .find(|s| s.is_empty() || s.trim_end_matches('*').contains('*'))
        {
            c.err(
                format!("{base}.units.groups.{group}"),
                format!("selector {bad:?} must be a unit or a prefix ending in *"),
            );
        }
    }
    for (group, list) in [("common_groups", &p.common_groups)] {
        if list.iter().any(|g| g.trim().is_empty()) {
            c.err(format!("{base}.{group}"), "group names must not be empty");
        }
    }
    PropertyConfig {
        name: p.name.clone().unwrap_or_else(|| id.to_string()),
        source,
        source_property_id: p
            .source_property_id
            .clone()
            .unwrap_or_else(|| id.to_string()),
        access_system,
        mode: mode(c, &format!("{base}.mode"), p.mode.as_deref(), d.mode),
        revocations: revocations(
            c,
            &format!("{base}.revocations"),
            p.revocations.as_deref(),
            d.revocations,
        ),
        activation_delay: c.duration(
            &format!("{base}.activation_delay"),
            p.activation_delay.as_deref(),
            d.activation_delay,
            true,
        ),
        max_revocations: limit(
            c,
            &format!("{base}.max_revocations"),
            p.max_revocations.as_ref(),
            p.max_revocations_floor,
            d.max_revocations,
        ),
        common_groups: p.common_groups.clone(),
        units: UnitMapping {
            pattern: p.units.pattern.clone(),
            groups: p.units.groups.clone(),
            overrides: p.units.overrides.clone(),
        },
        roles: p.roles.clone(),
    }
}
