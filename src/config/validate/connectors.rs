//! Sources and access systems: the flat raw blocks become the closed, tagged connector enums.

use super::property::Settings;
use super::{bounds, Check};
use crate::config::raw::{RawAccessSystem, RawSource};
use crate::config::{
    AccessSystemConfig, BrivoConfig, CsvConfig, DoorConfig, Endpoint, KisiConfig, OfficerndConfig,
    OpenpathConfig, SourceConfig, YardiConfig,
};
use std::path::PathBuf;
use std::time::Duration;

const SOURCE_TYPES: &str = "yardi_voyager, csv, events, officernd";
/// OfficeRnD's identity host (VENDORS.md, OfficeRnD: the token endpoint).
const OFFICERND_AUTH_URL: &str = "https://identity.officernd.com";
const ACCESS_SYSTEM_TYPES: &str = "kisi, brivo, openpath, door";
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
        timeout: c.duration_in(
            &format!("{base}.timeout"),
            raw.timeout,
            DEFAULT_TIMEOUT,
            bounds::TIMEOUT,
        ),
        requests_per_second: c.rps(
            &format!("{base}.requests_per_second"),
            raw.requests_per_second,
        ),
        stale_after,
    }
}

/// `not_for` for the events source's own file.
pub(super) fn reject(c: &mut Check<'_>, base: &str, kind: &str, set: &[(&str, bool)]) {
    not_for(c, base, kind, set);
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
        Some("csv") => Some(SourceConfig::Csv(csv(c, &base, s, d))),
        Some("events") => {
            let stale_after = c.duration(
                &format!("{base}.stale_after"),
                s.stale_after.as_deref(),
                d.stale_after,
                false,
            );
            Some(SourceConfig::Events(super::events::events(
                c,
                &base,
                s,
                stale_after,
            )))
        }
        Some("officernd") => Some(SourceConfig::Officernd(officernd(c, &base, s, d))),
        Some("yardi_voyager") => {
            not_for(
                c,
                &base,
                "yardi_voyager",
                &[
                    ("senders", !s.senders.is_empty()),
                    ("path", s.path.is_some()),
                    ("settle", s.settle.is_some()),
                    ("delimiter", s.delimiter.is_some()),
                    ("poll_interval", s.poll_interval.is_some()),
                    ("auth_url", s.auth_url.is_some()),
                    ("client_id", s.client_id.is_some()),
                    ("client_secret", s.client_secret.is_some()),
                    ("org_slug", s.org_slug.is_some()),
                ],
            );
            let stale_after = c.duration_in(
                &format!("{base}.stale_after"),
                s.stale_after.as_deref(),
                d.stale_after,
                bounds::STALE_AFTER,
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

/// A `type: csv` source: a file or a directory of `<source_property_id>.csv` files.
fn csv(c: &mut Check<'_>, base: &str, s: &RawSource, d: &Settings) -> CsvConfig {
    let field = |f: &str| format!("{base}.{f}");
    not_for(
        c,
        base,
        "csv",
        &[
            ("url", s.url.is_some()),
            ("requests_per_second", s.requests_per_second.is_some()),
            ("username", s.username.is_some()),
            ("password", s.password.is_some()),
            ("server_name", s.server_name.is_some()),
            ("database", s.database.is_some()),
            ("platform", s.platform.is_some()),
            ("interface_entity", s.interface_entity.is_some()),
            ("interface_license", s.interface_license.is_some()),
            ("senders", !s.senders.is_empty()),
            ("auth_url", s.auth_url.is_some()),
            ("client_id", s.client_id.is_some()),
            ("client_secret", s.client_secret.is_some()),
            ("org_slug", s.org_slug.is_some()),
        ],
    );
    let path = c.required(&field("path"), &s.path);
    let poll_interval = c.duration(
        &field("poll_interval"),
        s.poll_interval.as_deref(),
        Duration::from_secs(5),
        false,
    );
    if poll_interval > Duration::from_secs(3600) {
        c.err(
            field("poll_interval"),
            "must be at most 1h (the periodic reconcile reads the file anyway)",
        );
    }
    CsvConfig {
        endpoint: Endpoint {
            url: format!("file:{path}"),
            timeout: c.duration_in(
                &field("timeout"),
                s.timeout.as_deref(),
                DEFAULT_TIMEOUT,
                bounds::TIMEOUT,
            ),
            requests_per_second: None,
            stale_after: c.duration_in(
                &field("stale_after"),
                s.stale_after.as_deref(),
                d.stale_after,
                bounds::STALE_AFTER,
            ),
        },
        path: PathBuf::from(path),
        settle: c.duration_in(
            &field("settle"),
            s.settle.as_deref(),
            Duration::from_secs(2),
            bounds::SETTLE,
        ),
        delimiter: delimiter(c, &field("delimiter"), s.delimiter.as_deref()),
        poll_interval,
    }
}

/// A `type: officernd` source: the API host, the identity host (OfficeRnD's own by default), the
/// OAuth client and the organisation's slug. Keys of the other source types are rejected.
fn officernd(c: &mut Check<'_>, base: &str, s: &RawSource, d: &Settings) -> OfficerndConfig {
    let field = |f: &str| format!("{base}.{f}");
    not_for(
        c,
        base,
        "officernd",
        &[
            ("username", s.username.is_some()),
            ("password", s.password.is_some()),
            ("server_name", s.server_name.is_some()),
            ("database", s.database.is_some()),
            ("platform", s.platform.is_some()),
            ("interface_entity", s.interface_entity.is_some()),
            ("interface_license", s.interface_license.is_some()),
            ("path", s.path.is_some()),
            ("settle", s.settle.is_some()),
            ("delimiter", s.delimiter.is_some()),
            ("poll_interval", s.poll_interval.is_some()),
        ],
    );
    let stale_after = c.duration(
        &field("stale_after"),
        s.stale_after.as_deref(),
        d.stale_after,
        false,
    );
    let raw = RawEndpoint {
        url: &s.url,
        timeout: s.timeout.as_deref(),
        requests_per_second: s.requests_per_second,
    };
    let auth_url = match &s.auth_url {
        None => OFFICERND_AUTH_URL.to_string(),
        Some(_) => c.url(&field("auth_url"), &s.auth_url),
    };
    let org_slug = c.required(&field("org_slug"), &s.org_slug);
    let plain = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.');
    if !org_slug.is_empty() && !org_slug.chars().all(plain) {
        c.err(
            field("org_slug"),
            format!("{org_slug:?} is not a slug: letters, digits, '-', '_' and '.' only"),
        );
    }
    OfficerndConfig {
        endpoint: endpoint(c, base, raw, stale_after),
        auth_url,
        client_id: c.required(&field("client_id"), &s.client_id),
        client_secret: c.secret(&field("client_secret"), &s.client_secret),
        org_slug,
    }
}

/// One ASCII character other than a quote, a line break or a letter or digit; `,` by default.
fn delimiter(c: &mut Check<'_>, path: &str, raw: Option<&str>) -> u8 {
    let Some(text) = raw else { return b',' };
    match text.as_bytes() {
        [b] if b.is_ascii()
            && !b.is_ascii_alphanumeric()
            && !matches!(b, b'"' | b'\n' | b'\r' | b' ') =>
        {
            *b
        }
        _ => {
            c.err(
                path,
                format!(
                    "{text:?} is not a delimiter: give one character such as \",\", \";\", \"|\" \
                     or \"\\t\" (a tab), not a quote, space, letter or digit"
                ),
            );
            b','
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
                    ("email", a.email.is_some()),
                    ("org_id", a.org_id.is_some()),
                    ("audience", a.audience.is_some()),
                    ("passcode_type", a.passcode_type.is_some()),
                ],
            );
            Some(AccessSystemConfig::Kisi(KisiConfig {
                endpoint: endpoint(c, &base, raw, d.stale_after),
                api_key: c.secret(&field("api_key"), &a.api_key),
            }))
        }
        Some("brivo") => {
            not_for(
                c,
                &base,
                "brivo",
                &[
                    ("email", a.email.is_some()),
                    ("org_id", a.org_id.is_some()),
                    ("audience", a.audience.is_some()),
                    ("passcode_type", a.passcode_type.is_some()),
                ],
            );
            Some(AccessSystemConfig::Brivo(BrivoConfig {
                endpoint: endpoint(c, &base, raw, d.stale_after),
                auth_url: c.url(&field("auth_url"), &a.auth_url),
                api_key: c.secret(&field("api_key"), &a.api_key),
                client_id: c.required(&field("client_id"), &a.client_id),
                client_secret: c.secret(&field("client_secret"), &a.client_secret),
                username: c.required(&field("username"), &a.username),
                password: c.secret(&field("password"), &a.password),
            }))
        }
        Some("openpath") => Some(AccessSystemConfig::Openpath(openpath(c, &base, a, raw, d))),
        Some("door") => Some(AccessSystemConfig::Door(door(c, &base, a, raw, d))),
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

/// `type: openpath`: `email` and `password` for `/auth/login` (Openpath Swagger, `login`) and
/// the `org_id` every path names. Keys of the other types are rejected with their path.
fn openpath(
    c: &mut Check<'_>,
    base: &str,
    a: &RawAccessSystem,
    raw: RawEndpoint<'_>,
    d: &Settings,
) -> OpenpathConfig {
    let field = |f: &str| format!("{base}.{f}");
    not_for(
        c,
        base,
        "openpath",
        &[
            ("api_key", a.api_key.is_some()),
            ("auth_url", a.auth_url.is_some()),
            ("client_id", a.client_id.is_some()),
            ("client_secret", a.client_secret.is_some()),
            ("username", a.username.is_some()),
            ("audience", a.audience.is_some()),
            ("passcode_type", a.passcode_type.is_some()),
        ],
    );
    let org_id = match a.org_id {
        Some(id) if id > 0 => id,
        Some(_) => {
            c.err(field("org_id"), "must be a positive organisation id");
            0
        }
        None => {
            c.err(
                field("org_id"),
                "is required (the {orgId} of Openpath's paths)",
            );
            0
        }
    };
    OpenpathConfig {
        endpoint: endpoint(c, base, raw, d.stale_after),
        email: c.required(&field("email"), &a.email),
        password: c.secret(&field("password"), &a.password),
        org_id,
    }
}

/// The partner API's URL, the auth spec's default `audience` (door-authentication-openapi,
/// `AuthorizationRequestParams.audience`).
pub(crate) const DOOR_AUDIENCE: &str = "https://rest.latchaccess.com/access/sdk";
/// `PostUserRequest.passcodeType`'s enum (door-partner-openapi).
const DOOR_PASSCODE_TYPES: [&str; 3] = ["PERMANENT", "DAILY", "DAILY_SINGLE_USE"];

/// `type: door`: `auth_url`, `client_id` and `client_secret` for the client-credentials token
/// (door-authentication-openapi, `authenticatePartner`), an optional `audience` and
/// `passcode_type`. Keys of the other types are rejected with their path.
fn door(
    c: &mut Check<'_>,
    base: &str,
    a: &RawAccessSystem,
    raw: RawEndpoint<'_>,
    d: &Settings,
) -> DoorConfig {
    let field = |f: &str| format!("{base}.{f}");
    not_for(
        c,
        base,
        "door",
        &[
            ("api_key", a.api_key.is_some()),
            ("username", a.username.is_some()),
            ("password", a.password.is_some()),
            ("email", a.email.is_some()),
            ("org_id", a.org_id.is_some()),
        ],
    );
    let audience = match &a.audience {
        None => DOOR_AUDIENCE.to_string(),
        Some(_) => c.url(&field("audience"), &a.audience),
    };
    let passcode_type = match a.passcode_type.as_deref().map(str::trim) {
        None => "PERMANENT".to_string(),
        Some(t) if DOOR_PASSCODE_TYPES.contains(&t) => t.to_string(),
        Some(other) => {
            c.err(
                field("passcode_type"),
                format!(
                    "unknown passcode type {other:?} (DOOR knows {})",
                    DOOR_PASSCODE_TYPES.join(", ")
                ),
            );
            "PERMANENT".to_string()
        }
    };
    DoorConfig {
        endpoint: endpoint(c, base, raw, d.stale_after),
        auth_url: c.url(&field("auth_url"), &a.auth_url),
        client_id: c.required(&field("client_id"), &a.client_id),
        client_secret: c.secret(&field("client_secret"), &a.client_secret),
        audience,
        passcode_type,
    }
}
