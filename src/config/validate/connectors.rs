//! Sources and access systems: the flat raw blocks become the closed, tagged connector enums.

use super::property::Settings;
use super::Check;
use crate::config::raw::{RawAccessSystem, RawSource};
use crate::config::{
    AccessSystemConfig, BrivoConfig, Endpoint, KisiConfig, SourceConfig, YardiConfig,
};
use std::time::Duration;

const SOURCE_TYPES: &str = "yardi_voyager";
const ACCESS_SYSTEM_TYPES: &str = "kisi, brivo";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The keys every connector has.
struct RawEndpoint<'a> {
    url: &'a Option<String>,
    timeout: Option<&'a str>,
    requests_per_second: Option<f64>,
}

fn endpoint(
    c: &mut Check<'_>,
    base: &str,
    raw: RawEndpoint<'_>,
    stale_after: Duration,
) -> Endpoint {
    Endpoint {
        url: c.url(&format!("{base}.url"), raw.url),
        timeout: c.duration(
            &format!("{base}.timeout"),
            raw.timeout,
            DEFAULT_TIMEOUT,
            false,
        ),
        requests_per_second: c.rps(
            &format!("{base}.requests_per_second"),
            raw.requests_per_second,
        ),
        stale_after,
    }
}

/// Reports keys that belong to another connector type, e.g. `auth_url` on a kisi system.
fn not_for(c: &mut Check<'_>, base: &str, kind: &str, set: &[(&str, bool)]) {
    for (key, present) in set {
        if *present {
            c.err(
                format!("{base}.{key}"),
                format!("is not an option of type {kind}"),
            );
        }
    }
}

/// Validates one source; `None` when its type is missing or unknown (already reported).
pub(super) fn source(
    c: &mut Check<'_>,
    name: &str,
    s: &RawSource,
    d: &Settings,
) -> Option<SourceConfig> {
    let base = format!("sources.{name}");
    match s.kind.as_deref().map(str::trim) {
        Some("yardi_voyager") => {
            let stale_after = c.duration(
                &format!("{base}.stale_after"),
                s.stale_after.as_deref(),
                d.stale_after,
                false,
            );
            let raw = RawEndpoint {
                url: &s.url,
                timeout: s.timeout.as_deref(),
                requests_per_second: s.requests_per_second,
            };
            let field = |f: &str| format!("{base}.{f}");
            Some(SourceConfig::YardiVoyager(YardiConfig {
                endpoint: endpoint(c, &base, raw, stale_after),
                username: c.required(&field("username"), &s.username),
                password: c.secret(&field("password"), &s.password),
                server_name: c.required(&field("server_name"), &s.server_name),
                database: c.required(&field("database"), &s.database),
                platform: match &s.platform {
                    None => "SQL Server".into(),
                    Some(_) => c.required(&field("platform"), &s.platform),
                },
                interface_entity: c.required(&field("interface_entity"), &s.interface_entity),
                interface_license: c.secret(&field("interface_license"), &s.interface_license),
            }))
        }
        Some(other) => {
            c.err(
                format!("{base}.type"),
                format!("unknown source type {other:?} (known types: {SOURCE_TYPES})"),
            );
            None
        }
        None => {
            c.err(
                format!("{base}.type"),
                format!("is required (known types: {SOURCE_TYPES})"),
            );
            None
        }
    }
}

/// Validates one access system; `None` when its type is missing or unknown (already reported).
/// Access systems are never "stale" themselves; they take `defaults.stale_after`.
pub(super) fn access_system(
    c: &mut Check<'_>,
    name: &str,
    a: &RawAccessSystem,
    d: &Settings,
) -> Option<AccessSystemConfig> {
    let base = format!("access_systems.{name}");
    let field = |f: &str| format!("{base}.{f}");
    let raw = RawEndpoint {
        url: &a.url,
        timeout: a.timeout.as_deref(),
        requests_per_second: a.requests_per_second,
    };
    match a.kind.as_deref().map(str::trim) {
        Some("kisi") => {
            not_for(
                c,
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
                endpoint: endpoint(c, &base, raw, d.stale_after),
                api_key: c.secret(&field("api_key"), &a.api_key),
            }))
        }
        Some("brivo") => Some(AccessSystemConfig::Brivo(BrivoConfig {
            endpoint: endpoint(c, &base, raw, d.stale_after),
            auth_url: c.url(&field("auth_url"), &a.auth_url),
            api_key: c.secret(&field("api_key"), &a.api_key),
            client_id: c.required(&field("client_id"), &a.client_id),
            client_secret: c.secret(&field("client_secret"), &a.client_secret),
            username: c.required(&field("username"), &a.username),
            password: c.secret(&field("password"), &a.password),
        })),
        Some(other) => {
            c.err(
                field("type"),
                format!(
                    "unknown access system type {other:?} (known types: {ACCESS_SYSTEM_TYPES})"
                ),
            );
            None
        }
        None => {
            c.err(
                field("type"),
                format!("is required (known types: {ACCESS_SYSTEM_TYPES})"),
            );
            None
        }
    }
}
