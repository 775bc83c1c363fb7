//! `RawConfig`: the YAML exactly as the operator typed it. Unknown keys are rejected; values are
//! kept as written (durations as strings) and checked in `validate`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub portfolio: Option<String>,
    pub data_dir: Option<String>,
    pub listen: Option<String>,
    pub interval: Option<String>,
    pub concurrency: Option<i64>,
    pub shutdown_grace: Option<String>,
    pub quarantine_retry: Option<String>,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub lost_credential: RawLostCredential,
    #[serde(default)]
    pub defaults: RawPropertySettings,
    #[serde(default)]
    pub sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    pub access_systems: BTreeMap<String, RawAccessSystem>,
    #[serde(default)]
    pub properties: BTreeMap<String, RawProperty>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    #[serde(default)]
    pub tokens: Vec<RawToken>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    pub name: String,
    pub role: String,
    pub sha256: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLostCredential {
    pub immediate: Option<bool>,
}

/// A secret: written in clear (discouraged), or taken from the environment or a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawSecret {
    Plain(String),
    Env { env: String },
    File { file: String },
}

/// Settings a property may take from `defaults` or set itself.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPropertySettings {
    pub mode: Option<String>,
    pub revocations: Option<String>,
    pub activation_delay: Option<String>,
    pub max_revocations: Option<serde_yaml::Value>,
    pub max_revocations_floor: Option<i64>,
    pub stale_after: Option<String>,
}

/// Keys every connector accepts.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    pub timeout: Option<String>,
    pub requests_per_second: Option<f64>,
    pub stale_after: Option<String>,
    // yardi_voyager
    pub username: Option<String>,
    pub password: Option<RawSecret>,
    pub server_name: Option<String>,
    pub database: Option<String>,
    pub platform: Option<String>,
    pub interface_entity: Option<String>,
    pub interface_license: Option<RawSecret>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessSystem {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    pub timeout: Option<String>,
    pub requests_per_second: Option<f64>,
    pub api_key: Option<RawSecret>,
    // brivo
    pub auth_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<RawSecret>,
    pub username: Option<String>,
    pub password: Option<RawSecret>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProperty {
    pub name: Option<String>,
    pub source: Option<String>,
    pub source_property_id: Option<String>,
    pub access_system: Option<String>,
    pub mode: Option<String>,
    pub revocations: Option<String>,
    pub activation_delay: Option<String>,
    pub max_revocations: Option<serde_yaml::Value>,
    pub max_revocations_floor: Option<i64>,
    #[serde(default)]
    pub common_groups: Vec<String>,
    #[serde(default)]
    pub units: RawUnits,
    #[serde(default)]
    pub roles: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnits {
    pub pattern: Option<String>,
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub overrides: BTreeMap<String, Vec<String>>,
}
