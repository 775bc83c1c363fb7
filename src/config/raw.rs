//! `RawConfig`: the YAML exactly as the operator typed it. Unknown keys are rejected; values are
//! kept as written (durations as strings) and checked in `validate`.
//!
//! Connectors are one flat struct per category with `type` kept as a string, not an internally
//! tagged enum: serde buffers a tagged enum before picking the variant, and errors inside the
//! buffer lose their path and line (yaml_serde reports `access_systems: unknown field ...` with no
//! key), and stop at the first one. Flat structs keep exact paths for unknown keys; `validate` then
//! builds the tagged `SourceConfig`/`AccessSystemConfig`, rejecting keys of another type and
//! unknown types together with every other error.
//!
//! Every type here derives `JsonSchema` too (`lockstep config schema`, `config/schema.rs`); a
//! new one needs the same derive, and a `serde_yaml::Value` field a `schema_with`.

use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

mod events;
mod guests;
mod kinds;
mod notifications;
pub use events::RawSender;
pub use guests::{RawGuestPins, RawMobileKeys, RawPassLimit, RawPins};
pub use kinds::{RawMembers, RawVisitors};
pub use notifications::{RawNotifications, RawWebhook};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub portfolio: Option<String>,
    pub data_dir: Option<String>,
    pub listen: Option<String>,
    pub interval: Option<String>,
    pub concurrency: Option<i64>,
    pub shutdown_grace: Option<String>,
    pub quarantine_retry: Option<String>,
    pub resync: Option<String>,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub lost_credential: RawLostCredential,
    #[serde(default)]
    pub audit: RawAudit,
    pub notifications: Option<RawNotifications>,
    #[serde(default)]
    pub defaults: RawPropertySettings,
    #[serde(default, deserialize_with = "unique_keys")]
    pub sources: BTreeMap<String, RawSource>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub access_systems: BTreeMap<String, RawAccessSystem>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub properties: BTreeMap<String, RawProperty>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    #[serde(default)]
    pub tokens: Vec<RawToken>,
}

/// Fields are optional here so that a missing one is reported with every other error.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawToken {
    pub name: Option<String>,
    pub role: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLostCredential {
    pub immediate: Option<bool>,
}

/// Anchoring of the audit log: the signing key and where checkpoints go.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub key: Option<RawSecret>,
    pub checkpoint_dir: Option<String>,
    pub checkpoint_interval: Option<String>,
}

/// A secret: written in clear (discouraged), or taken from the environment or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSecret {
    Plain(String),
    Env(String),
    File(String),
}

/// Settings a property may take from `defaults` or set itself.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPropertySettings {
    pub mode: Option<String>,
    pub revocations: Option<String>,
    pub activation_delay: Option<String>,
    /// A count (`25`) or a percentage string (`"10%"`).
    #[serde(default)]
    #[schemars(schema_with = "crate::config::schema::count_or_percent")]
    pub max_revocations: Option<serde_yaml::Value>,
    pub max_revocations_floor: Option<i64>,
    pub stale_after: Option<String>,
}

/// A source block: the keys of every source type; `validate` rejects the keys that do not belong
/// to the block's `type`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
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
    // officernd
    pub auth_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<RawSecret>,
    pub org_slug: Option<String>,
    // csv
    pub path: Option<String>,
    pub settle: Option<String>,
    pub delimiter: Option<String>,
    pub poll_interval: Option<String>,
    // events: sender name → its shared secret (`validate::events`)
    #[serde(default, deserialize_with = "unique_keys")]
    pub senders: BTreeMap<String, RawSender>,
}

/// An access-system block: the keys of every access-system type; `validate` rejects the keys
/// that do not belong to the block's `type`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
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
    // openpath (also `password`)
    pub email: Option<String>,
    pub org_id: Option<u64>,
    // door (also `auth_url`, `client_id`, `client_secret`)
    pub audience: Option<String>,
    pub passcode_type: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProperty {
    pub name: Option<String>,
    /// Shorthand for a property with one source: `source: yardi-main` (+ `source_property_id`).
    pub source: Option<String>,
    pub source_property_id: Option<String>,
    /// Shorthand for a property with one access system holding every group it grants.
    pub access_system: Option<String>,
    /// Source name → how this property is known there.
    #[serde(default, deserialize_with = "unique_keys")]
    pub sources: BTreeMap<String, Option<RawPropertySource>>,
    /// Access system name → the groups routed to it.
    #[serde(default, deserialize_with = "unique_keys")]
    pub access_systems: BTreeMap<String, Option<RawRouting>>,
    /// How one person listed by two sources is recognised as one (`email`); unset = never.
    pub link_by: Option<String>,
    pub mode: Option<String>,
    pub revocations: Option<String>,
    /// Whether the access system invites a person when lockstep grants them access, where it
    /// can (Kisi, DOOR): `default` (only the first grant after lockstep created the person's
    /// user), `always` (every grant) or `never`; left out, `never`.
    pub notify: Option<String>,
    pub activation_delay: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "crate::config::schema::count_or_percent")]
    pub max_revocations: Option<serde_yaml::Value>,
    pub max_revocations_floor: Option<i64>,
    #[serde(default)]
    pub common_groups: Vec<String>,
    #[serde(default)]
    pub units: RawUnits,
    #[serde(default, deserialize_with = "unique_keys")]
    pub roles: BTreeMap<String, Vec<String>>,
    /// Coworking members' rules (workspace sources such as OfficeRnD).
    #[serde(default)]
    pub members: RawMembers,
    /// Visitors' rules (visitor systems and signed events).
    #[serde(default)]
    pub visitors: RawVisitors,
    /// Guest and prospect PINs residents may request; left out, none are offered.
    pub guest_pins: Option<RawGuestPins>,
    /// PINs lockstep issues and delivers through `notifications`; left out, none.
    pub pins: Option<RawPins>,
    /// Mobile keys lockstep issues on move-in; left out, none.
    pub mobile_keys: Option<RawMobileKeys>,
}

/// One source of a property.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPropertySource {
    /// The property's id in that source (default: the property's own id).
    pub property_id: Option<String>,
}

/// One access system of a property: which of its groups live there.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    /// Group names, the unit pattern as written, or prefixes ending in `*`.
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUnits {
    pub pattern: Option<String>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub groups: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "unique_keys")]
    pub overrides: BTreeMap<String, Vec<String>>,
}

/// Secrets are a plain string, `{env: NAME}` or `{file: PATH}`. Written by hand rather than as an
/// untagged enum so that a wrong shape says what is expected, not "did not match any variant".
///
/// No message here ever quotes what was written in a secret's place: serde's own messages would
/// (`invalid type: integer `1234``), and a password typed unquoted as a number, a boolean, a
/// list or a map key is still a password. A quoted `"{env: NAME}"` is refused too: it would
/// otherwise become the literal password `{env: NAME}`.
impl<'de> Deserialize<'de> for RawSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

const SECRET_SHAPE: &str = "a secret is a quoted string, {env: NAME} or {file: PATH}";

/// The error for a value of the wrong type, naming the type only.
fn wrong<E: de::Error>(what: &str) -> E {
    E::custom(format_args!(
        "{SECRET_SHAPE}; found {what} (the value is not shown, it may be the secret)"
    ))
}

/// `"{env: X}"` or `"{file: X}"` written in quotes (with or without the space).
fn quoted_reference(v: &str) -> bool {
    let Some(inner) = v
        .trim()
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return false;
    };
    let inner = inner.trim_start();
    ["env", "file"].iter().any(|key| {
        inner
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = RawSecret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SECRET_SHAPE)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSecret, E> {
        if quoted_reference(v) {
            return Err(E::custom(
                "a quoted {env: ...} or {file: ...} is a literal password, not a reference: \
                 remove the quotes (write {env: NAME} or {file: PATH})",
            ));
        }
        Ok(RawSecret::Plain(v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<RawSecret, E> {
        Err(wrong("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<RawSecret, E> {
        Err(wrong("a number; quote it"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<RawSecret, E> {
        Err(wrong("a number; quote it"))
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<RawSecret, E> {
        Err(wrong("a number; quote it"))
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<RawSecret, E> {
        Err(wrong("a number; quote it"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawSecret, E> {
        Err(wrong("a number; quote it"))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<RawSecret, E> {
        Err(wrong("binary data"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawSecret, E> {
        Err(wrong("nothing (null)"))
    }
    fn visit_none<E: de::Error>(self) -> Result<RawSecret, E> {
        Err(wrong("nothing (null)"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<RawSecret, A::Error> {
        Err(wrong("a list"))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<RawSecret, A::Error> {
        Err(wrong("a tagged value"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSecret, A::Error> {
        let key = match map.next_key::<serde_yaml::Value>()? {
            None => return Err(wrong("an empty map")),
            Some(serde_yaml::Value::String(k)) if k == "env" || k == "file" => k,
            Some(_) => {
                return Err(de::Error::custom(format_args!(
                    "{SECRET_SHAPE}; found a map with another key (not shown, it may be the \
                     secret; `{{env:NAME}}` needs a space after the colon)"
                )))
            }
        };
        let value = match map.next_value::<serde_yaml::Value>()? {
            serde_yaml::Value::String(v) => v,
            _ => {
                return Err(de::Error::custom(format_args!(
                    "{key}: must be a string (the value is not shown, it may be the secret)"
                )))
            }
        };
        if map.next_key::<serde_yaml::Value>()?.is_some() {
            return Err(de::Error::custom(
                "a secret takes exactly one of `env` or `file` (other keys are not shown)",
            ));
        }
        Ok(if key == "env" {
            RawSecret::Env(value)
        } else {
            RawSecret::File(value)
        })
    }
}

/// A name → value map that rejects a repeated key instead of silently keeping the last one, so
/// two `maple-court:` blocks are an error rather than one property quietly lost.
pub(super) fn unique_keys<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct UniqueVisitor<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueVisitor<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of names")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    d.deserialize_map(UniqueVisitor(PhantomData))
}
