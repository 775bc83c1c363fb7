//! The bench's helper process: everything that needs the whole simulated world (generating it,
//! loading it into the simulators, lease churn, the request minimum), so the bench process that
//! runs lockstep never holds it and its peak RSS is lockstep's own.
//!
//! The bench runs its own executable again with `LOCKSTEP_BENCH_HELPER=1` and one of:
//! - `load <scenario> <base url> <config path> <data dir>`: generates the world, `PUT`s it into
//!   the source and access simulators' `/_sim/state`, writes lockstep's config;
//! - `churn <scenario> <base url> <seed>`: applies 1% lease churn to the source simulator;
//! - `measure <scenario> <base url> <snapshot path>`: prints, as one JSON line, each access
//!   system's listing minimum for the state now and the writes minimum since the last snapshot.

use super::minimum::{self, Minimum, Snapshot};
use super::{scenario, Scenario, Start, System};
use lockstep::sim::brivo::{BrivoMembership, BrivoSim, BrivoState, BrivoUser};
use lockstep::sim::kisi::{KisiSim, KisiState};
use lockstep::sim::world::{self, SimProperty, SourceState};
use lockstep::sim::yardi::YardiSim;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Set in the environment of the helper process.
pub const HELPER_ENV: &str = "LOCKSTEP_BENCH_HELPER";

/// The world's generator seed; churn seeds are passed per phase.
const WORLD_SEED: u64 = 7;

/// Entry point of the helper process. Panics (non-zero exit) on any failure: the bench reports it.
pub fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> &str { args.get(i).map_or("", String::as_str) };
    let scenario = scenario(arg(1)).unwrap_or_else(|| panic!("no scenario {:?}", arg(1)));
    let base = arg(2).trim_end_matches('/').to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    lockstep::net::install_crypto();
    let http = reqwest::Client::new();
    rt.block_on(async {
        match arg(0) {
            "load" => load(&http, scenario, &base, arg(3), arg(4)).await,
            "churn" => churn(&http, scenario, &base, arg(3).parse().expect("seed")).await,
            "measure" => measure(&http, scenario, &base, arg(3)).await,
            other => panic!("unknown helper command {other:?}"),
        }
    });
}

fn world_of(s: &Scenario) -> SourceState {
    let now = lockstep::controller::now();
    world::generate(s.properties, s.residents_per_property, WORLD_SEED, now)
}

/// Floors of 20 units: "Floor 3" opens units 301..320. Three groups per resident in all.
fn floors(units: &[String]) -> Vec<(String, Vec<String>)> {
    units
        .chunks(20)
        .enumerate()
        .map(|(i, chunk)| (format!("Floor {}", i + 1), chunk.to_vec()))
        .collect()
}

/// Every group a property's config manages: two common groups, one per floor, maintenance.
fn groups_of(p: &SimProperty) -> Vec<String> {
    let (common, _, maintenance) = world::group_scheme(&p.name);
    let mut groups = common;
    groups.extend(
        floors(&p.units)
            .into_iter()
            .map(|(f, _)| format!("{} {f}", p.name)),
    );
    groups.push(maintenance);
    groups
}

/// The managed groups of each property served by `system`.
fn scopes(s: &Scenario, world: &SourceState, system: System) -> Vec<BTreeSet<String>> {
    world
        .properties
        .iter()
        .enumerate()
        .filter(|(i, _)| s.system_of(*i) == system)
        .map(|(_, p)| groups_of(p).into_iter().collect())
        .collect()
}

async fn put_json<T: serde::Serialize>(http: &reqwest::Client, url: &str, value: &T) {
    let body = serde_json::to_vec(value).expect("state serialises");
    let reply = http
        .put(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {url}: {e}"));
    assert!(reply.status().is_success(), "PUT {url}: {}", reply.status());
}

async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    let reply = http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(reply.status().is_success(), "GET {url}: {}", reply.status());
    let bytes = reply
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

async fn load(http: &reqwest::Client, s: &Scenario, base: &str, config: &str, data_dir: &str) {
    let world = world_of(s);
    put_json(http, &format!("{base}/yardi_voyager/_sim/state"), &world).await;
    for system in s.systems() {
        let groups: Vec<String> = world
            .properties
            .iter()
            .enumerate()
            .filter(|(i, _)| s.system_of(*i) == system)
            .flat_map(|(_, p)| groups_of(p))
            .collect();
        let url = format!("{base}{}/_sim/state", system.path());
        match system {
            System::Kisi => {
                assert!(
                    s.start == Start::Empty,
                    "a converged Kisi start is not built"
                );
                let sim = KisiSim::new(2);
                sim.seed_groups(&groups);
                put_json::<KisiState>(http, &url, &sim.state()).await;
            }
            System::Brivo => {
                let sim = BrivoSim::new(3);
                sim.seed_groups(&groups);
                let mut state = sim.state();
                if s.start == Start::Converged {
                    converge_brivo(&mut state, s, &world);
                }
                put_json(http, &url, &state).await;
            }
        }
    }
    std::fs::write(config, config_yaml(s, &world, base, data_dir)).expect("write the config");
}

/// Writes the converged state straight into the Brivo account (users with external ids and
/// their memberships), so a 100k run measures steady cycles without provisioning first.
fn converge_brivo(state: &mut BrivoState, s: &Scenario, world: &SourceState) {
    let ids: BTreeMap<String, u64> = state
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.id))
        .collect();
    for (_, p) in world
        .properties
        .iter()
        .enumerate()
        .filter(|(i, _)| s.system_of(*i) == System::Brivo)
    {
        let (common, _, _) = world::group_scheme(&p.name);
        let mut floor_of = BTreeMap::new();
        for (floor, units) in floors(&p.units) {
            for unit in units {
                floor_of.insert(unit, format!("{} {floor}", p.name));
            }
        }
        // Yardi's GetResidents lists tenants only, so staff (a `role`) get nothing from it.
        for person in p.people.iter().filter(|x| holds_access(&x.status)) {
            let groups: Vec<String> = match (&person.role, &person.unit) {
                (None, Some(unit)) => {
                    vec![common[0].clone(), common[1].clone(), floor_of[unit].clone()]
                }
                _ => continue,
            };
            let id = state.next_id();
            let (first, last) = person
                .name
                .split_once(' ')
                .unwrap_or((person.name.as_str(), ""));
            state.users.push(BrivoUser {
                id,
                first_name: first.into(),
                last_name: last.into(),
                external_id: Some(format!("lockstep:yardi-sim:{}", person.id)),
                ..BrivoUser::default()
            });
            for g in groups {
                state.memberships.push(BrivoMembership {
                    group_id: ids[&g],
                    user_id: id,
                });
            }
        }
    }
    state.mark_unsorted();
}

fn holds_access(status: &str) -> bool {
    status == "current" || status == "notice"
}

async fn churn(http: &reqwest::Client, s: &Scenario, base: &str, seed: u64) {
    let url = format!("{base}/yardi_voyager/_sim/state");
    let mut state: SourceState = get_json(http, &url).await;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let changes = s.properties * s.residents_per_property / 100;
    world::churn(&mut state, changes, lockstep::controller::now(), &mut rng);
    put_json(http, &url, &state).await;
}

async fn measure(http: &reqwest::Client, s: &Scenario, base: &str, snapshot_path: &str) {
    let world = world_of(s);
    let mut before: BTreeMap<String, Snapshot> = std::fs::read(snapshot_path)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("snapshot"))
        .unwrap_or_default();
    let mut now = BTreeMap::new();
    let mut out: BTreeMap<String, Minimum> = BTreeMap::new();
    for system in s.systems() {
        let url = format!("{base}{}/_sim/state", system.path());
        let snapshot = match system {
            System::Kisi => Snapshot::of_kisi(&get_json::<KisiState>(http, &url).await),
            System::Brivo => Snapshot::of_brivo(&get_json::<BrivoState>(http, &url).await),
        };
        let scopes = scopes(s, &world, system);
        let mut min = minimum::lists(system == System::Kisi, &snapshot, &scopes);
        if let Some(before) = before.remove(system.name()) {
            (min.writes, min.writes_batched) = minimum::writes(&before, &snapshot);
        }
        out.insert(system.name().to_string(), min);
        now.insert(system.name().to_string(), snapshot);
    }
    let bytes = serde_json::to_vec(&now).expect("snapshot serialises");
    std::fs::write(snapshot_path, bytes).expect("write the snapshot");
    println!(
        "{}",
        serde_json::to_string(&out).expect("minimum serialises")
    );
}

/// Lockstep's config: one Yardi source, both access systems, each property on its system with
/// two common groups, one group per floor of 20 units, and a maintenance role group.
fn config_yaml(s: &Scenario, world: &SourceState, base: &str, data_dir: &str) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "portfolio: bench\ndata_dir: {data_dir}\nconcurrency: 4\ndefaults:\n  activation_delay: 0s\n  max_revocations: 100000");
    let _ = writeln!(y, "sources:\n  yardi-sim:\n    type: yardi_voyager\n    url: {base}/yardi_voyager\n    username: {}\n    password: {}\n    server_name: s\n    database: d\n    interface_entity: e\n    interface_license: {}", YardiSim::USERNAME, YardiSim::PASSWORD, YardiSim::LICENSE);
    // Kisi's documented 5 requests a second would measure the wait, not lockstep.
    let _ = writeln!(
        y,
        "access_systems:\n  kisi-sim:\n    type: kisi\n    url: {base}/kisi\n    api_key: {}\n    requests_per_second: 100000",
        KisiSim::API_KEY
    );
    let _ = writeln!(y, "  brivo-sim:\n    type: brivo\n    url: {base}/brivo\n    auth_url: {base}/brivo\n    api_key: {}\n    client_id: {}\n    client_secret: {}\n    username: {}\n    password: {}", BrivoSim::API_KEY, BrivoSim::CLIENT_ID, BrivoSim::CLIENT_SECRET, BrivoSim::USERNAME, BrivoSim::PASSWORD);
    let _ = writeln!(y, "properties:");
    for (i, p) in world.properties.iter().enumerate() {
        let (common, _, maintenance) = world::group_scheme(&p.name);
        let system = s.system_of(i).name();
        let _ = writeln!(y, "  {}:\n    source: yardi-sim\n    source_property_id: {}\n    access_system: {system}-sim\n    mode: automatic", p.id, p.id);
        let _ = writeln!(y, "    common_groups: [{:?}, {:?}]\n    roles:\n      maintenance: [{maintenance:?}]\n    units:\n      groups:", common[0], common[1]);
        for (floor, units) in floors(&p.units) {
            let units: Vec<String> = units.iter().map(|u| format!("{u:?}")).collect();
            let _ = writeln!(
                y,
                "        {:?}: [{}]",
                format!("{} {floor}", p.name),
                units.join(", ")
            );
        }
    }
    y
}
