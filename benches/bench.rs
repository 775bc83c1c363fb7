//! Benchmarks (`cargo bench`): `plan` on 100k residents × 3 groups, and full reconcile cycles
//! against the simulators, run as their own process, at 10k and 100k residents, with requests
//! made versus the minimum the vendor APIs allow and lockstep's own peak memory. Figures are
//! printed, never asserted: machines are noisy.
//!
//! `cargo bench --bench bench -- plan` runs only the planner part; `-- cycle` every default
//! cycle scenario; `-- kisi` (part of a default scenario's key, or the whole key of any, such
//! as `brivo-100k-provision`) only the scenarios named; `-- edge` the window-edge lateness.
#![forbid(unsafe_code)]

use lockstep::model::{
    ActualMembership, ActualState, ActualUser, Capabilities, DesiredState, DesiredUser,
    ManagedGroups, Window,
};
use lockstep::plan::plan;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

mod cycle;
mod edge;
mod rss;

fn main() {
    if std::env::var_os(cycle::setup::HELPER_ENV).is_some() {
        cycle::setup::main();
        return;
    }
    if let Ok(key) = std::env::var(cycle::SCENARIO_ENV) {
        let base = std::env::var(cycle::SIM_ENV).expect("the simulators' address");
        cycle::run(&key, &base);
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if filter.is_empty() || filter.iter().any(|f| "plan".contains(f.as_str())) {
        bench_plan();
    }
    if filter.iter().any(|f| f == "edge") {
        edge::bench_edges();
        return;
    }
    let scenarios = cycle::selected(&filter);
    if !scenarios.is_empty() {
        cycle::bench_cycles(&scenarios);
    }
}

fn desired_and_actual(residents: usize, drift_every: usize) -> (DesiredState, ActualState) {
    let managed = ManagedGroups {
        names: ["Entrances", "Amenities"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        patterns: vec![("Unit ".into(), String::new())],
    };
    let mut desired = DesiredState {
        managed,
        ..DesiredState::default()
    };
    let mut actual = ActualState::default();
    for g in ["Entrances", "Amenities"] {
        actual.groups.insert(g.into(), format!("g-{g}"));
    }
    for i in 0..residents {
        let unit = format!("Unit {}", i / 2);
        actual
            .groups
            .entry(unit.clone())
            .or_insert_with(|| format!("g-{i}"));
        let ext = format!("lockstep:yardi:r{i:06}");
        let groups: BTreeMap<String, Window> =
            ["Entrances".to_string(), "Amenities".to_string(), unit]
                .into_iter()
                .map(|g| (g, Window::OPEN))
                .collect();
        let mut have = groups.clone();
        if drift_every > 0 && i % drift_every == 0 {
            have.remove("Amenities");
        }
        actual.users.insert(
            ext.clone(),
            ActualUser {
                system_id: format!("u{i}"),
                external_id: Some(ext.clone()),
                name: format!("Resident {i}"),
                groups: have
                    .into_keys()
                    .map(|g| (g, ActualMembership::default()))
                    .collect(),
                ..ActualUser::default()
            },
        );
        desired.users.insert(
            ext,
            DesiredUser {
                person_id: format!("r{i:06}"),
                name: format!("Resident {i}"),
                email: None,
                groups,
                revoked_credentials: BTreeSet::new(),
                new_grants: true,
                pin: None,
                mobile_key: false,
            },
        );
    }
    (desired, actual)
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
    }
    times.sort();
    (
        times[times.len() / 2],
        times[0],
        last.expect("at least one run"),
    )
}

fn bench_plan() {
    let caps = Capabilities::default();
    println!("== plan(desired, actual): 100,000 residents x 3 groups");
    for (label, drift_every) in [("converged (empty plan)", 0), ("1% drift", 100)] {
        let (desired, actual) = desired_and_actual(100_000, drift_every);
        let (median, best, p) = time(7, || plan(&desired, &actual, &caps));
        println!(
            "  {label:<28} median {:>7.1} ms  best {:>7.1} ms  actions {}",
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3,
            p.actions.len()
        );
    }
    let (desired, _) = desired_and_actual(100_000, 0);
    let mut empty = ActualState {
        groups: desired_and_actual(1, 0).1.groups,
        ..ActualState::default()
    };
    for i in 0..100_000 {
        empty
            .groups
            .entry(format!("Unit {}", i / 2))
            .or_insert_with(|| format!("g{i}"));
    }
    let (median, best, p) = time(5, || plan(&desired, &empty, &caps));
    println!(
        "  {:<28} median {:>7.1} ms  best {:>7.1} ms  actions {}",
        "from empty (full provision)",
        median.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3,
        p.actions.len()
    );
    println!("  peak RSS so far {:.0} MiB", rss::peak_mib());
}
