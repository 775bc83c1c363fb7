//! Full reconcile cycles against the in-process simulators: wall time, requests made versus the
//! minimum the vendor APIs allow, and peak memory.

use lockstep::config::{Config, ProcessEnv};
use lockstep::controller::Controller;
use lockstep::metrics::Metrics;
use lockstep::sim::brivo::BrivoSim;
use lockstep::sim::kisi::KisiSim;
use lockstep::sim::openpath::OpenpathSim;
use lockstep::sim::serve::Simulators;
use lockstep::sim::world::{self, SourceState};
use lockstep::sim::yardi::YardiSim;
use lockstep::store::Store;
use std::fmt::Write as _;
use std::time::Instant;

const RESIDENTS_PER_PROPERTY: usize = 10_000;

/// Floors of 20 units: "Floor 3" opens units 301..320. Three groups per resident in all.
fn floors(units: &[String]) -> Vec<(String, Vec<String>)> {
    units
        .chunks(20)
        .enumerate()
        .map(|(i, chunk)| (format!("Floor {}", i + 1), chunk.to_vec()))
        .collect()
}

fn groups_of(p: &world::SimProperty) -> Vec<String> {
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

fn config(world: &SourceState, base: &str, data_dir: &str, system: &str) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "portfolio: bench\ndata_dir: {data_dir}\nconcurrency: 4\ndefaults:\n  activation_delay: 0s\n  max_revocations: 100000");
    let _ = writeln!(y, "sources:\n  yardi-sim:\n    type: yardi_voyager\n    url: {base}/yardi_voyager\n    username: {}\n    password: {}\n    server_name: s\n    database: d\n    interface_entity: e\n    interface_license: {}", YardiSim::USERNAME, YardiSim::PASSWORD, YardiSim::LICENSE);
    let _ = writeln!(
        y,
        "access_systems:\n  kisi-sim:\n    type: kisi\n    url: {base}/kisi\n    api_key: {}\n    requests_per_second: 100000",
        KisiSim::API_KEY
    );
    let _ = writeln!(y, "  brivo-sim:\n    type: brivo\n    url: {base}/brivo\n    auth_url: {base}/brivo\n    api_key: {}\n    client_id: {}\n    client_secret: {}\n    username: {}\n    password: {}", BrivoSim::API_KEY, BrivoSim::CLIENT_ID, BrivoSim::CLIENT_SECRET, BrivoSim::USERNAME, BrivoSim::PASSWORD);
    let _ = writeln!(y, "properties:");
    for p in &world.properties {
        let (common, _, maintenance) = world::group_scheme(&p.name);
        let _ = writeln!(y, "  {}:\n    source: yardi-sim\n    source_property_id: {}\n    access_system: {system}\n    mode: automatic", p.id, p.id);
        let _ = writeln!(y, "    common_groups: [{:?}, {:?}]\n    roles:\n      maintenance: [{maintenance:?}]\n    units:\n      groups:", common[0], common[1]);
        for (floor, units) in floors(&p.units) {
            let _ = writeln!(
                y,
                "        {:?}: [{}]",
                format!("{} {floor}", p.name),
                units
                    .iter()
                    .map(|u| format!("{u:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    y
}

struct Run {
    label: String,
    wall: f64,
    requests: u64,
    lists: u64,
    writes: u64,
    applied: usize,
    minimum: u64,
}

fn lists_minimum(system: &str, world: &SourceState) -> u64 {
    // Pages each API needs: users, groups and memberships as the vendor exposes them.
    let users: u64 = world
        .properties
        .iter()
        .map(|p| {
            p.people
                .iter()
                .filter(|x| x.status == "current" || x.status == "notice")
                .count() as u64
        })
        .sum();
    let groups: u64 = world
        .properties
        .iter()
        .map(|p| groups_of(p).len() as u64)
        .sum::<u64>()
        + 1;
    let pages = |n: u64, per: u64| n.div_ceil(per).max(1);
    let per_group: u64 = world
        .properties
        .iter()
        .map(|p| {
            let floors = floors(&p.units).len() as u64;
            let residents = p
                .people
                .iter()
                .filter(|x| x.status == "current" || x.status == "notice")
                .count() as u64;
            2 * pages(residents, 100) + floors + 1
        })
        .sum();
    let sources = world.properties.len() as u64;
    match system {
        "brivo" => sources + 1 + pages(users, 100) + pages(groups, 100) + per_group,
        _ => sources + pages(users, 100) + pages(groups, 100) + pages(users * 3, 250),
    }
}

/// Writes the converged state straight into the Brivo simulator (users with external ids and
/// their memberships), so a 100k run measures steady-state cycles without a 400k-request
/// provisioning first.
fn seed_converged_brivo(sims: &Simulators, world: &SourceState) {
    use lockstep::sim::brivo::{BrivoMembership, BrivoUser};
    let mut state = sims.brivo.state();
    let ids: std::collections::BTreeMap<String, u64> = state
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.id))
        .collect();
    for p in &world.properties {
        let (common, _, maintenance) = world::group_scheme(&p.name);
        let mut floor_of = std::collections::BTreeMap::new();
        for (floor, units) in floors(&p.units) {
            for unit in units {
                floor_of.insert(unit, format!("{} {floor}", p.name));
            }
        }
        for person in p
            .people
            .iter()
            .filter(|x| x.status == "current" || x.status == "notice")
        {
            let groups: Vec<String> = match (&person.role, &person.unit) {
                (Some(_), _) => vec![maintenance.clone()],
                (None, Some(unit)) => {
                    vec![common[0].clone(), common[1].clone(), floor_of[unit].clone()]
                }
                (None, None) => continue,
            };
            state.next_id += 1;
            let id = state.next_id;
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
    sims.brivo.set_state(state);
}

fn run(label: &str, system: &str, properties: usize) -> Vec<Run> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let world = world::generate(
            properties,
            RESIDENTS_PER_PROPERTY,
            7,
            lockstep::controller::now(),
        );
        let sims = Simulators {
            yardi: YardiSim::new(world.clone(), 1),
            kisi: KisiSim::new(2),
            brivo: BrivoSim::new(3),
            openpath: OpenpathSim::new(4),
        };
        for p in &world.properties {
            match system {
                "kisi" => sims.kisi.seed_groups(&groups_of(p)),
                _ => sims.brivo.seed_groups(&groups_of(p)),
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let served = sims.clone();
        tokio::spawn(async move { served.serve(listener, std::future::pending()).await });
        let dir = tempfile::tempdir().expect("tempdir");
        let yaml = config(
            &world,
            &base,
            &dir.path().display().to_string(),
            &format!("{system}-sim"),
        );
        let config = Config::from_yaml_str(&yaml, &ProcessEnv).expect("bench config");
        let ids: Vec<String> = config.properties.keys().cloned().collect();
        let controller = Controller::new(
            config,
            Store::open(dir.path()).expect("store"),
            Metrics::new(),
        )
        .expect("controller");
        let core = if system == "kisi" {
            sims.kisi.core.clone()
        } else {
            sims.brivo.core.clone()
        };
        let mut runs = Vec::new();
        let phases: &[&str] = if properties > 1 {
            seed_converged_brivo(&sims, &world);
            &["steady state (no change)", "1% churn"]
        } else {
            &[
                "provision (from empty)",
                "steady state (no change)",
                "1% churn",
            ]
        };
        for phase in phases.iter().copied() {
            if phase == "1% churn" {
                let mut state = lockstep::sim::write(&sims.yardi.state);
                let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(5);
                world::churn(
                    &mut state,
                    properties * RESIDENTS_PER_PROPERTY / 100,
                    lockstep::controller::now(),
                    &mut rng,
                );
            }
            core.reset_stats();
            sims.yardi.core.reset_stats();
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for id in ids.clone() {
                let c = controller.clone();
                tasks.spawn(async move { c.reconcile(&id, false).await });
            }
            let mut applied = 0;
            while let Some(r) = tasks.join_next().await {
                let report = r.expect("task").expect("cycle");
                assert!(report.skipped.is_none(), "{:?}", report.skipped);
                applied += report.applied;
            }
            let wall = start.elapsed().as_secs_f64();
            let stats = core.stats();
            let source_requests = sims.yardi.core.stats().requests;
            let gets = stats.by_method.get("GET").copied().unwrap_or(0);
            let writes = stats.requests - gets;
            runs.push(Run {
                label: format!("{label}: {phase}"),
                wall,
                requests: stats.requests + source_requests,
                lists: gets + source_requests,
                writes,
                applied,
                minimum: lists_minimum(system, &world) + applied as u64,
            });
        }
        runs
    })
}

pub fn bench_cycles() {
    println!("== full cycles against the simulators ({RESIDENTS_PER_PROPERTY} residents per property, 3 groups each, automatic mode)");
    println!(
        "  {:<44} {:>8} {:>9} {:>8} {:>8} {:>8} {:>9}",
        "scenario", "wall s", "requests", "lists", "writes", "applied", "minimum"
    );
    let scenarios: [(&str, &str, usize); 3] = [
        ("10k kisi", "kisi", 1),
        ("10k brivo", "brivo", 1),
        ("100k brivo (10 properties)", "brivo", 10),
    ];
    for (label, system, properties) in scenarios {
        for r in run(label, system, properties) {
            println!(
                "  {:<44} {:>8.2} {:>9} {:>8} {:>8} {:>8} {:>9}",
                r.label, r.wall, r.requests, r.lists, r.writes, r.applied, r.minimum
            );
        }
    }
    println!(
        "  peak RSS (bench process, simulators included) {:.0} MiB",
        super::peak_rss_mib()
    );
}
