//! Full reconcile cycles with the simulators in their own process: wall time, requests made
//! per access system versus the least the vendor's API allows (`minimum.rs`), and the peak RSS
//! of this process, which holds lockstep and nothing else.
//!
//! Per scenario, the bench process starts two children: `lockstep sim` (the built binary, on
//! 127.0.0.1 with an ephemeral port, killed by a drop guard when the scenario ends or panics)
//! and a fresh runner (this executable again, `run`) that runs lockstep's controller as the
//! daemon does (at most `concurrency` property cycles at once) and reads the simulators'
//! `/_sim/stats`. The runner in turn calls a helper (this executable again, `setup.rs`) that
//! generates the world, loads it through the simulators' `/_sim/state`, churns leases and
//! computes minimums. A fresh runner per scenario keeps one scenario's freed-but-kept heap out
//! of the next one's RSS, and the world never enters the process whose RSS is measured.
//!
//! A scenario is a world (properties × residents, each property on one access system) and a
//! list of phases; adding one is adding an entry to `SCENARIOS`.

mod minimum;
pub mod process;
pub mod setup;

use super::rss;
use lockstep::config::{Config, ProcessEnv};
use lockstep::controller::Controller;
use lockstep::metrics::Metrics;
use lockstep::sim::Stats;
use lockstep::store::Store;
use minimum::Minimum;
use process::{helper, own_process, SimProcess};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds on each step, so a wedged run fails instead of hanging.
const LOAD_LIMIT: Duration = Duration::from_secs(600);
const HELPER_LIMIT: Duration = Duration::from_secs(300);
const CYCLE_LIMIT: Duration = Duration::from_secs(1800);
const SCENARIO_LIMIT: Duration = Duration::from_secs(3 * 3600);

/// Set in the environment of a scenario's runner process, naming the scenario.
pub const SCENARIO_ENV: &str = "LOCKSTEP_BENCH_SCENARIO";
/// Set in the environment of a scenario's runner process: the simulators' base URL.
pub const SIM_ENV: &str = "LOCKSTEP_BENCH_SIM";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    Kisi,
    Brivo,
}

impl System {
    pub fn name(self) -> &'static str {
        match self {
            System::Kisi => "kisi",
            System::Brivo => "brivo",
        }
    }

    /// Where the simulator serves it.
    pub fn path(self) -> &'static str {
        match self {
            System::Kisi => "/kisi",
            System::Brivo => "/brivo",
        }
    }
}

/// What the access systems hold before the first phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Only the groups (and the simulator's few hand-made users).
    Empty,
    /// Every resident already provisioned, written straight into the simulator (Brivo only).
    Converged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Provision,
    Steady,
    /// 1% of residents change (move-ins, notices, move-outs, unit changes) before the cycle.
    Churn,
}

impl Phase {
    fn label(self) -> &'static str {
        match self {
            Phase::Provision => "provision (from empty)",
            Phase::Steady => "steady state (no change)",
            Phase::Churn => "1% churn",
        }
    }
}

pub struct Scenario {
    /// Selects it on the command line: `cargo bench --bench bench -- brivo-100k-provision`.
    pub key: &'static str,
    pub label: &'static str,
    pub properties: usize,
    pub residents_per_property: usize,
    /// Property `i` is served by `systems[i % systems.len()]`.
    pub systems: &'static [System],
    pub start: Start,
    pub phases: &'static [Phase],
    /// Run by `-- cycle`; otherwise only when named.
    pub by_default: bool,
}

impl Scenario {
    pub fn system_of(&self, property: usize) -> System {
        self.systems[property % self.systems.len()]
    }

    /// Each access system once, in order of first use.
    pub fn systems(&self) -> Vec<System> {
        let mut out: Vec<System> = Vec::new();
        for s in self.systems {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        out
    }
}

const FULL: &[Phase] = &[Phase::Provision, Phase::Steady, Phase::Churn];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        key: "kisi-10k",
        label: "10k Kisi",
        properties: 1,
        residents_per_property: 10_000,
        systems: &[System::Kisi],
        start: Start::Empty,
        phases: FULL,
        by_default: true,
    },
    Scenario {
        key: "brivo-10k",
        label: "10k Brivo",
        properties: 1,
        residents_per_property: 10_000,
        systems: &[System::Brivo],
        start: Start::Empty,
        phases: FULL,
        by_default: true,
    },
    Scenario {
        key: "brivo-100k",
        label: "100k Brivo (10 properties)",
        properties: 10,
        residents_per_property: 10_000,
        systems: &[System::Brivo],
        start: Start::Converged,
        phases: &[Phase::Steady, Phase::Churn],
        by_default: true,
    },
    // Issue 7: a portfolio of 200 buildings on two access systems, provisioned from empty, then
    // cycles that read the shared cache, then a day's churn.
    Scenario {
        key: "portfolio-100k",
        label: "100k over 200 properties on Brivo and Kisi",
        properties: 200,
        residents_per_property: 500,
        systems: &[System::Brivo, System::Kisi],
        start: Start::Empty,
        phases: &[Phase::Provision, Phase::Steady, Phase::Churn],
        by_default: false,
    },
    Scenario {
        key: "brivo-100k-provision",
        label: "100k Brivo (10 properties) from empty",
        properties: 10,
        residents_per_property: 10_000,
        systems: &[System::Brivo],
        start: Start::Empty,
        phases: &[Phase::Provision, Phase::Steady],
        by_default: false,
    },
];

pub fn scenario(key: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.key == key)
}

/// The scenarios `filter` asks for: every default one for no filter or `cycle`; a default one
/// whose key contains a filter word; any one whose key is a filter word.
pub fn selected(filter: &[String]) -> Vec<&'static Scenario> {
    let named = |s: &Scenario| filter.iter().any(|f| f == s.key);
    let matched = |s: &Scenario| {
        filter.is_empty()
            || filter
                .iter()
                .any(|f| "cycle".contains(f.as_str()) || s.key.contains(f.as_str()))
    };
    SCENARIOS
        .iter()
        .filter(|s| named(s) || (s.by_default && matched(s)))
        .collect()
}

pub fn bench_cycles(scenarios: &[&Scenario]) {
    println!("== full cycles, simulators in their own process (lockstep sim), 3 groups per resident, automatic mode");
    println!("  lists/writes: requests the access simulator served (GET / others; OAuth token requests apart as auth)");
    println!("  min: the least the vendor API allows (lists: each account observed once; per-prop: each property observing alone)");
    println!("  ratio: (lists + writes) / (min lists + min writes); a cycle listing less than a full observation read a cache and needs no lists");
    println!("  RSS: this process, which holds only lockstep: resident before the cycle -> peak during it (VmHWM)");
    println!(
        "  {:<46} {:<6} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} {:>5} {:>6} {:>6} {:>6} {:>13}",
        "scenario",
        "system",
        "wall s",
        "lists",
        "min",
        "per-prop",
        "writes",
        "min",
        "batched",
        "auth",
        "source",
        "ratio",
        "applied",
        "RSS MiB"
    );
    for s in scenarios {
        let sim = SimProcess::start();
        eprintln!(
            "  [{}] simulators: pid {} at {}; loading the world",
            s.key,
            sim.id(),
            sim.base
        );
        let envs = [(SCENARIO_ENV, s.key), (SIM_ENV, sim.base.as_str())];
        own_process(&envs, SCENARIO_LIMIT);
    }
}

/// Runs one scenario against the simulators at `base` in this process (the runner).
pub fn run(key: &str, base: &str) {
    let s = scenario(key).unwrap_or_else(|| panic!("no scenario {key:?}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (config_path, data_dir, snapshot) = (path("lockstep.yaml"), path("data"), path("snap"));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    helper(&["load", s.key, base, &config_path, &data_dir], LOAD_LIMIT);
    let (controller, ids, concurrency) = controller(&config_path, &data_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    lockstep::net::install_crypto();
    let http = reqwest::Client::new();
    let measure = || -> BTreeMap<String, Minimum> {
        let out = helper(&["measure", s.key, base, &snapshot], HELPER_LIMIT);
        serde_json::from_str(out.trim()).expect("the helper's minimum")
    };
    let mut before = measure();
    for (n, phase) in s.phases.iter().copied().enumerate() {
        if phase == Phase::Churn {
            helper(&["churn", s.key, base, &(5 + n).to_string()], HELPER_LIMIT);
        }
        // The access systems' simulators in order, then the source's.
        let mut paths: Vec<&str> = s.systems().iter().map(|x| x.path()).collect();
        paths.push("/yardi_voyager");
        rt.block_on(stats(&http, base, &paths, true));
        let reset = rss::reset_peak();
        let rss_before = rss::current_mib();
        let start = Instant::now();
        let applied = rt.block_on(cycle(&controller, &ids, concurrency));
        let wall = start.elapsed().as_secs_f64();
        let peak = rss::peak_mib();
        let stats = rt.block_on(stats(&http, base, &paths, false));
        let after = measure();
        let source = stats.last().map_or(0, |st| st.requests);
        for (system, st) in s.systems().into_iter().zip(&stats) {
            let min_before = before.get(system.name()).cloned().unwrap_or_default();
            let min_after = after.get(system.name()).cloned().unwrap_or_default();
            let row = Row {
                label: format!("{}: {}", s.label, phase.label()),
                system: system.name(),
                wall,
                stats: st,
                lists_min: min_before.lists_shared,
                lists_per_property: min_before.lists_per_property,
                writes_min: min_after.writes,
                writes_batched: min_after.writes_batched,
                source,
                applied,
                rss: (rss_before, peak, reset),
            };
            row.print();
        }
        before = after;
    }
}

/// Lockstep's controller over the config the helper wrote: the controller, its property ids and
/// the daemon's concurrency.
fn controller(config_path: &str, data_dir: &str) -> (Arc<Controller>, Vec<String>, usize) {
    let yaml = std::fs::read_to_string(config_path).expect("the bench config");
    let config = Config::from_yaml_str(&yaml, &ProcessEnv).expect("bench config");
    let ids: Vec<String> = config.properties.keys().cloned().collect();
    let concurrency = config.concurrency;
    let store = Store::open(std::path::Path::new(data_dir)).expect("store");
    let controller = Controller::new(config, store, Metrics::new()).expect("controller");
    (controller, ids, concurrency)
}

/// Each simulator's `/_sim/stats` under `paths`, or (`reset`) clears them.
async fn stats(http: &reqwest::Client, base: &str, paths: &[&str], reset: bool) -> Vec<Stats> {
    let mut out = Vec::new();
    for p in paths {
        let url = format!("{base}{p}/_sim/stats");
        if reset {
            let reply = http.delete(&url).send().await.expect("reset stats");
            assert!(
                reply.status().is_success(),
                "DELETE {url}: {}",
                reply.status()
            );
        } else {
            let reply = http.get(&url).send().await.expect("stats");
            out.push(reply.json::<Stats>().await.expect("stats body"));
        }
    }
    out
}

/// One cycle of every property, at most `concurrency` at once as the daemon's loop runs them
/// (`app.rs`); the number of actions applied.
async fn cycle(controller: &Arc<Controller>, ids: &[String], concurrency: usize) -> usize {
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let (c, id, permits) = (controller.clone(), id.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("open semaphore");
            c.reconcile(&id, false).await
        });
    }
    let all = async {
        let mut applied = 0;
        while let Some(r) = tasks.join_next().await {
            let report = r.expect("task").expect("cycle");
            assert!(report.skipped.is_none(), "{:?}", report.skipped);
            applied += report.applied;
        }
        applied
    };
    tokio::time::timeout(CYCLE_LIMIT, all)
        .await
        .unwrap_or_else(|_| panic!("a cycle overran {CYCLE_LIMIT:?}"))
}

struct Row<'a> {
    label: String,
    system: &'static str,
    wall: f64,
    stats: &'a Stats,
    lists_min: u64,
    lists_per_property: u64,
    writes_min: u64,
    writes_batched: u64,
    source: u64,
    applied: usize,
    /// Resident before, peak during, and whether the peak was reset before the cycle.
    rss: (f64, f64, bool),
}

impl Row<'_> {
    fn print(&self) {
        let st = self.stats;
        let lists = st.by_method.get("GET").copied().unwrap_or(0);
        let auth: u64 = st
            .by_path
            .iter()
            .filter(|(k, _)| k.ends_with("/oauth/token"))
            .map(|(_, n)| n)
            .sum();
        let writes = st.requests - lists - auth;
        // Kisi has no call that changes several memberships at once.
        let batched = match self.system {
            "brivo" => self.writes_batched.to_string(),
            _ => "-".to_string(),
        };
        // Fewer list requests than a full observation: lockstep read its cached observation, and
        // such a cycle needs no listing at all.
        let lists_needed = if lists >= self.lists_min {
            self.lists_min
        } else {
            0
        };
        let ratio = match (lists + writes, lists_needed + self.writes_min) {
            (0, 0) => "1.00".to_string(),
            (_, 0) => "inf".to_string(),
            (made, least) => format!("{:.2}", made as f64 / least as f64),
        };
        let (before, peak, reset) = self.rss;
        let since = if reset { "" } else { " (peak since start)" };
        println!(
            "  {:<46} {:<6} {:>7.2} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} {:>5} {:>6} {:>6} {:>6} {:>6.0} -> {:<4.0}{since}",
            self.label, self.system, self.wall, lists, self.lists_min, self.lists_per_property,
            writes, self.writes_min, batched, auth, self.source, ratio, self.applied,
            before, peak
        );
        let routes: Vec<String> = st.by_path.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("      routes: {}", routes.join(", "));
        let statuses: Vec<String> = st
            .by_status
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        println!("      statuses: {}", statuses.join(", "));
    }
}
