//! All simulators on one listener, each under `/<type>/`, and the config that points at them.

use super::brivo::BrivoSim;
use super::door::DoorSim;
use super::kisi::KisiSim;
use super::officernd::{world as cowork, OfficerndSim};
use super::openpath::OpenpathSim;
use super::world::{self, SourceState};
use super::yardi::YardiSim;
use axum::Router;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::future::Future;

/// Every simulator of the product, sharing one generated world.
#[derive(Clone)]
pub struct Simulators {
    pub yardi: YardiSim,
    pub kisi: KisiSim,
    pub brivo: BrivoSim,
    pub openpath: OpenpathSim,
    pub door: DoorSim,
    pub officernd: OfficerndSim,
    /// When the coworking property's seeded booking and day pass start or end, with what to
    /// say then (empty without a coworking property).
    pub coworking_edges: Vec<(i64, String)>,
}

/// Members of the generated coworking space.
pub const COWORKING_MEMBERS: usize = 60;

impl Simulators {
    /// Simulators over `world`, with each property's groups created in its access simulator.
    pub fn new(world: SourceState, seed: u64) -> Simulators {
        let now = crate::controller::now();
        let coworking = world.properties.get(world::COWORKING_INDEX);
        let name = coworking.map_or(world::COWORKING_NAME, |p| p.name.as_str());
        let mut members = cowork::generate(name, COWORKING_MEMBERS, seed, now);
        let coworking_edges = match coworking {
            Some(_) => cowork::seed_demo_edges(&mut members, now),
            None => Vec::new(),
        };
        let sims = Simulators {
            kisi: KisiSim::new(seed),
            brivo: BrivoSim::new(seed.wrapping_add(1)),
            yardi: YardiSim::new(world.clone(), seed.wrapping_add(2)),
            openpath: OpenpathSim::new(seed.wrapping_add(3)),
            door: DoorSim::new(seed.wrapping_add(4)),
            officernd: OfficerndSim::new(members, seed.wrapping_add(5)),
            coworking_edges,
        };
        for (index, property) in world.properties.iter().enumerate() {
            if world::is_coworking(index) {
                sims.kisi
                    .seed_groups(&cowork::member_groups(&property.name));
                continue;
            }
            let layout = world::systems_of(index);
            let units = world::unit_groups(property);
            let (mut common, _, maintenance) = world::group_scheme(&property.name);
            common.push(maintenance);
            for (system, groups) in [(layout.common, common), (layout.units, units)] {
                match system {
                    "kisi" => sims.kisi.seed_groups(&groups),
                    "openpath" => sims.openpath.seed_groups(&groups),
                    "door" => sims.door.seed_groups(&groups),
                    _ => sims.brivo.seed_groups(&groups),
                }
            }
        }
        sims
    }

    pub fn router(&self) -> Router {
        Router::new()
            .nest("/yardi_voyager", self.yardi.router())
            .nest("/kisi", self.kisi.router())
            .nest("/brivo", self.brivo.router())
            .nest("/openpath", self.openpath.router())
            .nest("/door", self.door.router())
            .nest("/officernd", self.officernd.router())
    }

    /// Serves until `shutdown` resolves.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// One line per simulator for `lockstep sim`.
    pub fn describe(&self, base: &str) -> Vec<String> {
        vec![
            format!(
                "yardi_voyager  {base}/yardi_voyager  (SOAP ItfResidentData; user {}, password {})",
                YardiSim::USERNAME,
                YardiSim::PASSWORD
            ),
            format!(
                "kisi           {base}/kisi  (Authorization: KISI-LOGIN {})",
                KisiSim::API_KEY
            ),
            format!(
                "brivo          {base}/brivo  (api-key {}, OAuth client {}, user {})",
                BrivoSim::API_KEY,
                BrivoSim::CLIENT_ID,
                BrivoSim::USERNAME
            ),
            format!(
                "openpath       {base}/openpath  (login {}, org {})",
                OpenpathSim::EMAIL,
                OpenpathSim::ORG_ID
            ),
            format!(
                "door           {base}/door  (OAuth client {}, token at {base}/door/v1/oauth/token)",
                DoorSim::CLIENT_ID
            ),
            format!(
                "officernd      {base}/officernd  (OAuth client {}, org {})",
                OfficerndSim::CLIENT_ID,
                cowork::ORG_SLUG
            ),
        ]
    }
}

/// A fresh API token and its SHA-256 hex.
pub fn new_token() -> (String, String) {
    let bytes: [u8; 24] = rand::rng().random();
    let token = format!("lst_{}", hex::encode(bytes));
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    (token, hash)
}

/// Options for a generated config.
pub struct ConfigOptions<'a> {
    pub base_url: &'a str,
    pub data_dir: &'a str,
    pub listen: &'a str,
    /// `None`: every property `approval_required` (what `lockstep sim --print-config` gives);
    /// `Some(i)`: property `i` (0-based) and every other even one automatic, for the demo.
    pub automatic_every_other: bool,
    pub activation_delay: &'a str,
    pub interval: &'a str,
    /// Where the staff sheets of split buildings live (`world::write_staff_sheets`); `None`:
    /// those buildings read the PMS only.
    pub staff_dir: Option<&'a str>,
    /// Also a `frontdesk` events source, read by the first property with a `visitors:` section,
    /// so visitors can be signed in and out with signed events (the demo's visitor).
    pub front_desk: bool,
    /// Where issued PINs are delivered: with it, the first building with a Brivo system that
    /// runs `automatic` in the demo issues its residents a PIN (`pins:`), delivered to this
    /// outbox (`notifications:`).
    pub pin_outbox: Option<&'a str>,
    /// The Openpath building's residents get a mobile key on move-in (`mobile_keys:`); the
    /// simulator counts the set-up e-mails Openpath would send.
    pub mobile_keys: bool,
}

/// What `config_yaml` generates: the YAML and the clear values a caller needs to use it.
pub struct GeneratedConfig {
    pub yaml: String,
    /// The clear value of the admin API token (the YAML holds only its hash).
    pub admin_token: String,
    /// With `ConfigOptions::front_desk`, who signs events for which property.
    pub front_desk: Option<FrontDesk>,
    /// With `ConfigOptions::pin_outbox`, the property that issues PINs.
    pub pins_property: Option<String>,
    /// With `ConfigOptions::mobile_keys`, the property that issues mobile keys.
    pub keys_property: Option<String>,
}

/// The sender of a generated `frontdesk` events source and the property that reads it.
pub struct FrontDesk {
    /// The source's name in the config.
    pub source: String,
    /// Sent as `X-Lockstep-Sender`.
    pub sender: String,
    /// The shared secret the sender signs with, fresh for every generated config.
    pub secret: String,
    /// The property's id, both in the config and in the events (`property_id` is the same).
    pub property: String,
    /// What a visitor's credential opens there.
    pub visitor_group: String,
}

/// A complete lockstep config pointing at the simulators, with three API tokens whose clear
/// values appear only as comments.
pub fn config_yaml(world: &SourceState, opts: &ConfigOptions<'_>) -> GeneratedConfig {
    let base = opts.base_url.trim_end_matches('/');
    let front_desk = opts.front_desk.then(|| front_desk(world)).flatten();
    let pins_property = opts.pin_outbox.and_then(|_| pins_property(world));
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# lockstep config generated for the built-in simulators at {base}"
    );
    let _ = writeln!(y, "portfolio: simulated-portfolio");
    let _ = writeln!(y, "data_dir: {}", opts.data_dir);
    let _ = writeln!(y, "listen: {}", opts.listen);
    let _ = writeln!(y, "interval: {}", opts.interval);
    let _ = writeln!(y, "api:\n  tokens:");
    let mut admin = String::new();
    for role in ["viewer", "approver", "admin"] {
        let (token, hash) = new_token();
        let _ = writeln!(y, "    # {role} token: {token}");
        let _ = writeln!(
            y,
            "    - {{ name: sim-{role}, role: {role}, sha256: {hash} }}"
        );
        if role == "admin" {
            admin = token;
        }
    }
    let _ = writeln!(
        y,
        "defaults:\n  activation_delay: {}",
        opts.activation_delay
    );
    let _ = writeln!(
        y,
        "sources:\n  yardi-sim:\n    type: yardi_voyager\n    url: {base}/yardi_voyager"
    );
    let _ = writeln!(
        y,
        "    username: {}\n    password: {}\n    server_name: sim\n    database: sim\n    interface_entity: lockstep\n    interface_license: {}",
        YardiSim::USERNAME,
        YardiSim::PASSWORD,
        YardiSim::LICENSE
    );
    if world.properties.len() > world::COWORKING_INDEX {
        let _ = writeln!(
            y,
            "  # The coworking space's members, plans, bookings and day passes.\n  officernd-sim:\n    type: officernd\n    url: {base}/officernd\n    auth_url: {base}/officernd\n    client_id: {}\n    client_secret: {}\n    org_slug: {}",
            OfficerndSim::CLIENT_ID,
            OfficerndSim::CLIENT_SECRET,
            cowork::ORG_SLUG
        );
    }
    if let Some(dir) = opts.staff_dir {
        let _ = writeln!(
            y,
            "  # Staff and contractors of the split buildings, kept in a sheet: one <property>.csv each.\n  staff-csv:\n    type: csv\n    path: {dir}\n    settle: 1s\n    poll_interval: 2s"
        );
    }
    if let Some(desk) = &front_desk {
        front_desk_source(&mut y, desk);
    }
    let _ = writeln!(
        y,
        "access_systems:\n  kisi-sim:\n    type: kisi\n    url: {base}/kisi\n    api_key: {}\n    # The real Kisi allows 5 requests per second per user (the default when this line is\n    # left out); the simulator enforces that only when its rate_limit_per_second fault is set.\n    requests_per_second: 200",
        KisiSim::API_KEY
    );
    let _ = writeln!(
        y,
        "  brivo-sim:\n    type: brivo\n    url: {base}/brivo\n    auth_url: {base}/brivo\n    api_key: {}\n    client_id: {}\n    client_secret: {}\n    username: {}\n    password: {}",
        BrivoSim::API_KEY,
        BrivoSim::CLIENT_ID,
        BrivoSim::CLIENT_SECRET,
        BrivoSim::USERNAME,
        BrivoSim::PASSWORD
    );
    let uses_openpath =
        (0..world.properties.len()).any(|i| world::systems_of(i).common == "openpath");
    if uses_openpath {
        let _ = writeln!(
            y,
            "  openpath-sim:\n    type: openpath\n    url: {base}/openpath\n    email: {}\n    password: {}\n    org_id: {}",
            OpenpathSim::EMAIL,
            OpenpathSim::PASSWORD,
            OpenpathSim::ORG_ID
        );
    }
    let uses_door = (0..world.properties.len()).any(|i| world::systems_of(i).common == "door");
    if uses_door {
        let _ = writeln!(
            y,
            "  door-sim:\n    type: door\n    url: {base}/door\n    auth_url: {base}/door\n    client_id: {}\n    client_secret: {}",
            DoorSim::CLIENT_ID,
            DoorSim::CLIENT_SECRET
        );
    }
    if let (Some(path), Some(_)) = (opts.pin_outbox, &pins_property) {
        let _ = writeln!(
            y,
            "# Issued PINs are delivered here, one JSON line each (mode 0600).\nnotifications:\n  outbox: {path}"
        );
    }
    let _ = writeln!(y, "properties:");
    let mut keys_property = None;
    for (index, property) in world.properties.iter().enumerate() {
        let (common, pattern, maintenance) = world::group_scheme(&property.name);
        let mode = if opts.automatic_every_other && index % 2 == 0 {
            "automatic"
        } else {
            "approval_required"
        };
        let _ = writeln!(y, "  {}:", property.id);
        let _ = writeln!(y, "    name: {:?}", property.name);
        if world::is_coworking(index) {
            coworking_property(&mut y, property, mode, opts.automatic_every_other);
            continue;
        }
        let layout = world::systems_of(index);
        let staff = layout.is_split() && opts.staff_dir.is_some();
        if let Some(desk) = front_desk.as_ref().filter(|d| d.property == property.id) {
            front_desk_property(&mut y, desk, staff);
        } else if staff {
            let _ = writeln!(
                y,
                "    # Residents from the PMS, staff and contractors from a sheet.\n    sources:\n      yardi-sim: {{property_id: {id}}}\n      staff-csv: {{property_id: {id}}}",
                id = property.id
            );
        } else {
            let _ = writeln!(
                y,
                "    source: yardi-sim\n    source_property_id: {}",
                property.id
            );
        }
        if layout.is_split() {
            let _ = writeln!(
                y,
                "    # One building, two systems: unit doors in one, lobby, amenity and staff doors in the other.\n    access_systems:\n      {}-sim: {{groups: [{pattern:?}]}}\n      {}-sim: {{groups: [{:?}, {:?}, {maintenance:?}]}}",
                layout.units, layout.common, common[0], common[1]
            );
        } else {
            let _ = writeln!(y, "    access_system: {}-sim", layout.common);
        }
        let _ = writeln!(y, "    mode: {mode}");
        if pins_property.as_deref() == Some(property.id.as_str()) {
            let _ = writeln!(
                y,
                "    # Residents get a PIN for the Brivo doors on move-in, delivered to the outbox.\n    pins: {{system: brivo-sim, issue_to: [resident]}}"
            );
        }
        if opts.mobile_keys && layout.common == "openpath" {
            keys_property.get_or_insert_with(|| property.id.clone());
            let _ = writeln!(
                y,
                "    # Residents get an Openpath mobile key on move-in; Openpath e-mails the set-up link.\n    mobile_keys: {{system: openpath-sim, issue_to: [resident]}}"
            );
        }
        let _ = writeln!(y, "    common_groups: [{:?}, {:?}]", common[0], common[1]);
        let _ = writeln!(y, "    units:\n      pattern: {pattern:?}");
        let _ = writeln!(
            y,
            "    roles:\n      maintenance: [{maintenance:?}]\n      contractor: [{:?}]",
            common[0]
        );
    }
    GeneratedConfig {
        yaml: y,
        admin_token: admin,
        front_desk,
        pins_property,
        keys_property,
    }
}

/// The property that issues PINs: the first building with a Brivo system that runs `automatic`
/// in the demo (the third: unit doors in Kisi, the rest in Brivo).
fn pins_property(world: &SourceState) -> Option<String> {
    world
        .properties
        .iter()
        .enumerate()
        .find(|(i, _)| {
            let layout = world::systems_of(*i);
            i % 2 == 0 && !world::is_coworking(*i) && layout.common == "brivo"
        })
        .map(|(_, p)| p.id.clone())
}

/// The property whose visitors sign in at the front desk: the first, a Kisi building that runs
/// `automatic` in the demo. `None` for a world without one.
fn front_desk(world: &SourceState) -> Option<FrontDesk> {
    let index = 0;
    let property = world.properties.get(index)?;
    if world::is_coworking(index) {
        return None;
    }
    let (common, _, _) = world::group_scheme(&property.name);
    let secret: [u8; 32] = rand::rng().random();
    Some(FrontDesk {
        source: "frontdesk".to_string(),
        sender: "demo-desk".to_string(),
        secret: hex::encode(secret),
        property: property.id.clone(),
        visitor_group: common[0].clone(),
    })
}

/// The `type: events` source of the front desk, its secret in clear: like the simulators'
/// passwords, it is generated for this config and means nothing elsewhere.
fn front_desk_source(y: &mut String, desk: &FrontDesk) {
    let _ = writeln!(
        y,
        "  # Visitors signed in and out at the front desk: POST /api/v1/events, signed with this\n  # sender's secret (README, \"Signed events\").\n  {}:\n    type: events\n    senders:\n      {}: {{ secret: {:?} }}",
        desk.source, desk.sender, desk.secret
    );
}

/// The front desk property's sources (the PMS, the staff sheet of a split building, the front
/// desk) and what its visitors get: the entrances, from a minute before sign-in for ten minutes
/// at most, until they sign out.
fn front_desk_property(y: &mut String, desk: &FrontDesk, staff: bool) {
    let id = &desk.property;
    let _ = writeln!(
        y,
        "    # Residents from the PMS, visitors from the front desk's signed events.\n    sources:\n      yardi-sim: {{property_id: {id}}}"
    );
    if staff {
        let _ = writeln!(y, "      staff-csv: {{property_id: {id}}}");
    }
    let _ = writeln!(
        y,
        "      {}: {{property_id: {id}}}\n    visitors: {{groups: [{:?}], early_access: 1m, access_duration: 10m}}",
        desk.source, desk.visitor_group
    );
}

/// The coworking property: members from OfficeRnD, groups in Kisi, the `members:` tables. The
/// demo opens a booking's doors 30 s ahead and keeps them 30 s after, so its edges show.
fn coworking_property(y: &mut String, property: &world::SimProperty, mode: &str, demo: bool) {
    // In the demo the space runs automatically, so its booking and day pass show as grants
    // and revocations rather than suggestions.
    let mode = if demo { "automatic" } else { mode };
    let _ = writeln!(
        y,
        "    source: officernd-sim\n    source_property_id: {:?}\n    access_system: kisi-sim\n    mode: {mode}",
        property.name
    );
    let _ = writeln!(y, "    members:");
    let tables = cowork::member_tables(&property.name);
    for table in [
        "plans",
        "locations",
        "floors",
        "offices",
        "resources",
        "day_passes",
    ] {
        let _ = writeln!(y, "      {table}:");
        for (_, key, groups) in tables.iter().filter(|(t, _, _)| *t == table) {
            let _ = writeln!(y, "        {key:?}: {groups:?}");
        }
    }
    if demo {
        let _ = writeln!(y, "      booking_lead: 30s\n      booking_lag: 30s");
    }
}
