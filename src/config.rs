//! Configuration in two stages: `RawConfig` mirrors the YAML as typed (unknown keys rejected);
//! `Config::from_raw` validates cross-field rules and returns every error at once with its path.

mod guests;
mod kinds;
mod notifications;
mod raw;
mod schema;
mod validate;

pub use guests::{GuestPinRules, MobileKeyRules, PassLimit, PinRules};
pub use kinds::{MemberRules, VisitorRules};
pub use notifications::{NotificationsConfig, WebhookConfig};
pub use raw::RawConfig;
pub use schema::schema_json;
pub use validate::{ConfigError, ConfigErrors};

pub use crate::plan::RevocationLimit;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The validated configuration of one portfolio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub portfolio: String,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Period of the full reconcile of every property.
    pub interval: Duration,
    /// Properties reconciled at once.
    pub concurrency: usize,
    pub shutdown_grace: Duration,
    /// How often a quarantined source or access system is probed.
    pub quarantine_retry: Duration,
    /// How long a cached observation of an access system serves before a full relist.
    pub resync: Duration,
    pub log: LogConfig,
    pub api: ApiConfig,
    pub lost_credential: LostCredentialConfig,
    /// Anchoring of the audit log outside the store; `None` when `audit.key` is not set (the
    /// log is then only hash-chained, and `audit verify` says it is not anchored).
    pub audit: Option<AuditAnchor>,
    /// Where issued PINs are delivered; `None` when `notifications` is not set.
    pub notifications: Option<NotificationsConfig>,
    pub sources: BTreeMap<String, SourceConfig>,
    pub access_systems: BTreeMap<String, AccessSystemConfig>,
    pub properties: BTreeMap<String, PropertyConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing-subscriber `EnvFilter` directive, e.g. `info` or `lockstep=debug`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiConfig {
    pub tokens: Vec<ApiToken>,
}

/// A bearer token as stored in config: its SHA-256, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub sha256: [u8; 32],
}

/// API roles, ordered so that a higher role includes the lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Approver,
    Admin,
}

/// How `POST /api/v1/lost-credential` acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LostCredentialConfig {
    /// Revoke at once whatever the property's mode (default true). When false, the revocation
    /// follows the property's mode like any other.
    pub immediate: bool,
}

/// Signed audit checkpoints (DESIGN §7): the key lives outside `data_dir`, and so do the
/// checkpoints. Read at start; a reload does not change them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditAnchor {
    /// The Ed25519 seed, 64 hex characters (validated at load).
    pub key: Secret,
    /// Where `checkpoints.jsonl` is appended; never inside `data_dir`.
    pub checkpoint_dir: std::path::PathBuf,
    pub checkpoint_interval: Duration,
}

impl AuditAnchor {
    /// The checkpoint file: `checkpoint_dir/checkpoints.jsonl`.
    pub fn checkpoint_file(&self) -> PathBuf {
        self.checkpoint_dir.join(crate::store::CHECKPOINT_FILE)
    }

    /// The signing key (validated at load, so this fails only for a hand-built config).
    pub fn signing_key(&self) -> Result<crate::store::AuditKey, String> {
        crate::store::AuditKey::from_hex(&self.key.value)
            .map_err(|e| format!("audit.key ({}): {e}", self.key.origin))
    }
}

/// A secret resolved at load time from the environment, a file or (discouraged) the YAML itself.
/// Never printed: `Debug` and `Serialize` show only where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub value: String,
    pub origin: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.origin)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("<secret from {}>", self.origin))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceConfig {
    YardiVoyager(YardiConfig),
    Csv(CsvConfig),
    Events(EventsConfig),
    Officernd(OfficerndConfig),
}

impl SourceConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            SourceConfig::YardiVoyager(_) => "yardi_voyager",
            SourceConfig::Csv(_) => "csv",
            SourceConfig::Events(_) => "events",
            SourceConfig::Officernd(_) => "officernd",
        }
    }
    pub fn common(&self) -> &Endpoint {
        match self {
            SourceConfig::YardiVoyager(c) => &c.endpoint,
            SourceConfig::Csv(c) => &c.endpoint,
            SourceConfig::Events(c) => &c.endpoint,
            SourceConfig::Officernd(c) => &c.endpoint,
        }
    }
}

/// What every connector has: where it is, how long to wait, how fast it may be called.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub url: String,
    pub timeout: Duration,
    pub requests_per_second: Option<f64>,
    /// A source that has not succeeded for this long is reported stale.
    pub stale_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YardiConfig {
    pub endpoint: Endpoint,
    pub username: String,
    pub password: Secret,
    pub server_name: String,
    pub database: String,
    pub platform: String,
    pub interface_entity: String,
    pub interface_license: Secret,
}

/// OfficeRnD (v2 API): an OAuth2 client-credentials token from `{auth_url}/oauth/token`, then
/// every list under `{url}/api/v2/organizations/{org_slug}`. A property's `source_property_id`
/// names one of the organisation's locations (its `_id` or its exact name).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficerndConfig {
    /// `url` is the API host (`https://app.officernd.com`).
    pub endpoint: Endpoint,
    /// The identity host (`https://identity.officernd.com`).
    pub auth_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The organisation's slug, as in `app.officernd.com/<slug>/`.
    pub org_slug: String,
}

/// A CSV file, or a directory of `<source_property_id>.csv` files (`src/source/csv.rs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvConfig {
    /// `url` is `file:` and the path (for display only); `timeout` bounds one read of a file (a
    /// hung network mount); no request budget; `stale_after` as for any source.
    pub endpoint: Endpoint,
    /// A file (every property reading it shares it, filtered by its `property` column if it has
    /// one) or a directory holding one `<source_property_id>.csv` per property.
    pub path: PathBuf,
    /// A file modified more recently than this is still being written: the fetch is incomplete.
    /// Zero turns the check off.
    pub settle: Duration,
    /// The field separator, one ASCII byte (`,` by default; `\t` for TSV, `;`).
    pub delimiter: u8,
    /// How often the watcher compares the files' size and modification time.
    pub poll_interval: Duration,
}

/// A push source: signed events posted to `POST /api/v1/events` (`src/source/events.rs`). Its
/// people are what the stored events say, read from the store, so a fetch is never short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventsConfig {
    /// `url` is `events:` and the endpoint's path (for display only); no request budget.
    pub endpoint: Endpoint,
    /// Sender name (the `X-Lockstep-Sender` header) → the secret it signs with. At least one.
    pub senders: BTreeMap<String, Secret>,
}

impl Config {
    /// The events source a sender belongs to, with its secret (sender names are unique across
    /// every events source, checked).
    pub fn event_sender(&self, sender: &str) -> Option<(&str, &Secret)> {
        self.sources.iter().find_map(|(name, s)| match s {
            SourceConfig::Events(e) => e.senders.get(sender).map(|secret| (name.as_str(), secret)),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AccessSystemConfig {
    Kisi(KisiConfig),
    Brivo(BrivoConfig),
    Openpath(OpenpathConfig),
    Door(DoorConfig),
}

impl AccessSystemConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            AccessSystemConfig::Kisi(_) => "kisi",
            AccessSystemConfig::Brivo(_) => "brivo",
            AccessSystemConfig::Openpath(_) => "openpath",
            AccessSystemConfig::Door(_) => "door",
        }
    }
    /// Whether systems of this type hold PINs: the connector's `Capabilities::pins` (a test
    /// keeps the two in step), known here so that `pins.system` is checked before any
    /// connector is built.
    pub fn holds_pins(&self) -> bool {
        matches!(self, AccessSystemConfig::Brivo(_))
    }
    /// Whether systems of this type issue mobile keys (`Capabilities::mobile_keys`, kept in
    /// step by the same test).
    pub fn issues_mobile_keys(&self) -> bool {
        matches!(self, AccessSystemConfig::Openpath(_))
    }
    pub fn common(&self) -> &Endpoint {
        match self {
            AccessSystemConfig::Kisi(c) => &c.endpoint,
            AccessSystemConfig::Brivo(c) => &c.endpoint,
            AccessSystemConfig::Openpath(c) => &c.endpoint,
            AccessSystemConfig::Door(c) => &c.endpoint,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KisiConfig {
    pub endpoint: Endpoint,
    pub api_key: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrivoConfig {
    pub endpoint: Endpoint,
    /// Token endpoint base, e.g. `https://auth.brivo.com` (the sim serves it under `/brivo`).
    pub auth_url: String,
    pub api_key: Secret,
    pub client_id: String,
    pub client_secret: Secret,
    pub username: String,
    pub password: Secret,
}

/// Openpath / Avigilon Alta: `POST /auth/login` with an email and password gives a JWT; every
/// resource lives under `/orgs/{org_id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenpathConfig {
    pub endpoint: Endpoint,
    /// The login email of the API user (`/auth/login` `email`).
    pub email: String,
    pub password: Secret,
    /// The organisation lockstep manages (the `{orgId}` of every path).
    pub org_id: u64,
}

/// DOOR (OpenDOOR partner API): a client-credentials token from `auth_url` for `audience`;
/// the API at `url` (`https://rest.latchaccess.com/access/sdk`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoorConfig {
    pub endpoint: Endpoint,
    /// The token host, e.g. `https://auth.prod.latch.com` (the sim serves it under `/door`).
    pub auth_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The token's `audience` (default: the partner API's URL, as the auth spec gives it).
    pub audience: String,
    /// The `passcodeType` of every grant: `PERMANENT` (default), `DAILY` or `DAILY_SINGLE_USE`.
    pub passcode_type: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    ApprovalRequired,
    Automatic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationMode {
    /// Revocations follow the property's mode.
    WithMode,
    /// Revocations never wait for approval (fail secure).
    AlwaysAutomatic,
}

/// Whether a grant asks the access system to notify the person (Kisi's `notify`, DOOR's
/// `shouldNotify`). Systems that cannot notify ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyPolicy {
    /// Only the first grant that succeeds after lockstep created the person's user (in the same
    /// apply, or a later one when all of that apply's grants failed): the vendor's invitation,
    /// once.
    Default,
    /// Every grant notifies.
    Always,
    /// No grant notifies: what a property that leaves `notify` out gets, so an upgrade never
    /// starts e-mailing people.
    Never,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyConfig {
    pub name: String,
    /// Source name (key into `Config::sources`) → the property's id in that source. At least one.
    pub sources: BTreeMap<String, String>,
    /// Access system name (key into `Config::access_systems`) → the groups routed to it. At
    /// least one; every group the property can grant is routed to exactly one (checked).
    pub access_systems: BTreeMap<String, Routing>,
    /// How one person listed by two sources is recognised as one; `None`: never.
    pub link_by: Option<LinkKey>,
    pub mode: Mode,
    pub revocations: RevocationMode,
    /// Whether grants ask the access system to notify the person.
    pub notify: NotifyPolicy,
    pub activation_delay: Duration,
    pub max_revocations: RevocationLimit,
    /// Groups for every current resident.
    pub common_groups: Vec<String>,
    pub units: UnitMapping,
    /// Role (as the source names it, e.g. `maintenance`) → groups.
    pub roles: BTreeMap<String, Vec<String>>,
    /// What opens doors for coworking members.
    pub members: MemberRules,
    /// What opens doors for visitors, and when.
    pub visitors: VisitorRules,
    /// Guest and prospect PINs residents may request; `None`: none offered.
    pub guest_pins: Option<GuestPinRules>,
    /// The PINs lockstep issues; `None`: none.
    pub pins: Option<PinRules>,
    /// The mobile keys lockstep issues; `None`: none.
    pub mobile_keys: Option<MobileKeyRules>,
}

/// The stable key that links one person's records across a property's sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKey {
    /// The e-mail address, compared without case or surrounding space.
    Email,
}

/// Which groups of a property live in one access system: exact names, the unit pattern as
/// written (`Unit {unit}`), or prefixes ending in `*`. Empty on a property's only access system:
/// every group lives there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Routing {
    pub groups: Vec<String>,
}

impl Routing {
    pub fn matches(&self, group: &str) -> bool {
        self.groups.iter().any(|s| match s.strip_suffix('*') {
            Some(prefix) if !s.contains("{unit}") => group.starts_with(prefix),
            _ => s == group,
        })
    }
}

impl PropertyConfig {
    /// The access system a group lives in: the only one, or the one whose routing names it.
    /// A group of the unit pattern (`Unit 101`) follows the pattern's routing.
    pub fn system_of(&self, group: &str) -> Option<&str> {
        if let [(name, routing)] = self.access_systems.iter().collect::<Vec<_>>()[..] {
            if routing.groups.is_empty() {
                return Some(name);
            }
        }
        let pattern = self
            .units
            .pattern
            .as_deref()
            .filter(|p| crate::model::unit_pattern_makes(p, group));
        self.access_systems
            .iter()
            .find(|(_, r)| r.matches(group) || pattern.is_some_and(|p| r.matches(p)))
            .map(|(name, _)| name.as_str())
    }

    /// The names of the connectors a property reads and writes, for health and status.
    pub fn connector_names(&self) -> impl Iterator<Item = &String> {
        self.sources.keys().chain(self.access_systems.keys())
    }
}

/// Unit → groups: a name pattern, groups covering sets of units, and per-unit overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitMapping {
    /// E.g. `Unit {unit}`; exactly one `{unit}` placeholder.
    pub pattern: Option<String>,
    /// Group → unit selectors (`101`, or a prefix glob `1*`), e.g. a floor.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Unit → groups that replace the pattern's group for that unit.
    pub overrides: BTreeMap<String, Vec<String>>,
}

impl Config {
    /// The properties that read `source`, each with the id it gives that source:
    /// `(property key, source_property_id)`, sorted by property key. The CSV watcher brings the
    /// cycles of exactly these properties forward when the source's files change; this is the one
    /// place that knows how a property names its source(s).
    pub fn properties_reading(&self, source: &str) -> Vec<(String, String)> {
        self.properties
            .iter()
            .filter_map(|(id, p)| p.sources.get(source).map(|sid| (id.clone(), sid.clone())))
            .collect()
    }
}

/// Whether validation reads the secrets a config refers to or only checks their shape
/// (`check-config --skip-secrets`, for CI where the secrets are absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Secrets {
    /// Read every `{env: NAME}` and `{file: PATH}`; a missing one is an error.
    #[default]
    Resolve,
    /// Check that `NAME` is a variable name and `PATH` a path, read neither.
    ShapeOnly,
}

/// Where config values come from besides the YAML: the environment and secret files.
/// A trait so tests can validate configs without touching the real environment (linkerd).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    fn read_file(&self, path: &std::path::Path) -> std::io::Result<String>;
}

/// The process environment and file system.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn read_file(&self, path: &std::path::Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

#[cfg(test)]
mod tests;
