//! Window-edge lateness (`cargo bench --bench bench -- edge`): how late after a known end date
//! lockstep's revocation lands in an access system that holds no windows, so lockstep revokes
//! itself. The simulators and the daemon run as their own processes; this process only writes
//! the staff sheet and watches the Kisi simulator's state every 10 ms, so a figure is the
//! daemon's wake-up, cycle and write, plus at most one polling step.

use crate::cycle::process::SimProcess;
use lockstep::sim::kisi::{KisiSim, KisiState};
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CONTRACTORS: usize = 40;
const GROUP: &str = "Edge Entrances";
/// The first end date lies this far after the sheet is written, so the grants land first.
const LEAD: Duration = Duration::from_secs(12);

pub fn bench_edges() {
    println!(
        "window-edge lateness: {CONTRACTORS} contractors, ends spread over 10 s, Kisi (no windows)"
    );
    let sims = SimProcess::start();
    let base = sims.base.trim_end_matches('/').to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let sheet = dir.path().join("staff.csv");
    let config = dir.path().join("lockstep.yaml");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    lockstep::net::install_crypto();
    let http = reqwest::Client::new();
    let kisi = KisiSim::new(11);
    kisi.seed_groups(&[GROUP.to_string()]);
    rt.block_on(async {
        http.put(format!("{base}/kisi/_sim/state"))
            .json(&kisi.state())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("load the Kisi simulator");
    });
    let mut y = String::new();
    let _ = writeln!(y, "portfolio: edge\ndata_dir: {}\nlisten: 127.0.0.1:0\ninterval: 1h\ndefaults:\n  activation_delay: 0s", dir.path().join("data").display());
    let _ = writeln!(
        y,
        "sources:\n  staff:\n    type: csv\n    path: {}\n    poll_interval: 1s\n    settle: 1s",
        sheet.display()
    );
    let _ = writeln!(y, "access_systems:\n  kisi-sim:\n    type: kisi\n    url: {base}/kisi\n    api_key: {}\n    requests_per_second: 1000", KisiSim::API_KEY);
    let _ = writeln!(y, "properties:\n  edge:\n    source: staff\n    access_system: kisi-sim\n    mode: automatic\n    roles:\n      contractor: [{GROUP:?}]");
    std::fs::write(&config, y).expect("write config");

    let first_end = unix(SystemTime::now() + LEAD);
    // Four ends per second over ten seconds: the wake-up must serve edges close together.
    let ends: Vec<i64> = (0..CONTRACTORS)
        .map(|i| first_end + (i as i64) / 4)
        .collect();
    let mut csv = String::from("id,name,email,phone,kind,unit,start,end,status\n");
    for (i, end) in ends.iter().enumerate() {
        let text = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(*end as u64));
        let _ = writeln!(
            csv,
            "k{i},Contractor {i},,,contractor,,2025-01-01,{text},active"
        );
    }
    let tmp = sheet.with_extension("tmp");
    std::fs::write(&tmp, csv).expect("write sheet");
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .and_then(|f| f.set_modified(SystemTime::now() - Duration::from_secs(60)))
        .expect("date the sheet");
    std::fs::rename(&tmp, &sheet).expect("place sheet");

    let log = dir.path().join("daemon.log");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("daemon log"))
        .spawn()
        .expect("start the daemon");
    let mut gone: Vec<Option<f64>> = vec![None; CONTRACTORS];
    let mut granted = false;
    let deadline = Instant::now() + LEAD + Duration::from_secs(60);
    rt.block_on(async {
        while Instant::now() < deadline && gone.iter().any(Option::is_none) {
            let state: Option<KisiState> =
                match http.get(format!("{base}/kisi/_sim/state")).send().await {
                    Ok(r) => r.json().await.ok(),
                    Err(_) => None,
                };
            let at = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64();
            if state.is_none() && !granted {
                eprintln!("  (the Kisi simulator's state did not parse)");
            }
            if let Some(state) = state {
                let held = holders(&state);
                // The simulator's hand-made user also holds the group: count the contractors.
                granted |=
                    held.iter().filter(|n| n.starts_with("Contractor ")).count() == CONTRACTORS;
                if granted {
                    for (i, slot) in gone.iter_mut().enumerate() {
                        if slot.is_none() && !held.contains(&format!("Contractor {i}")) {
                            *slot = Some(at - ends[i] as f64);
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    drop(sims);
    assert!(
        granted,
        "the contractors were never all granted before their end dates; the daemon said:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let mut late: Vec<f64> = gone
        .iter()
        .map(|g| g.expect("a revocation never landed"))
        .collect();
    late.sort_by(f64::total_cmp);
    let early = late.iter().filter(|l| **l < 0.0).count();
    let ms = |x: f64| format!("{:.0} ms", x * 1000.0);
    println!(
        "  lateness after the end second: min {}, median {}, p95 {}, max {} (revoked early: {early})",
        ms(late[0]),
        ms(late[late.len() / 2]),
        ms(late[late.len() * 95 / 100]),
        ms(late[late.len() - 1]),
    );
}

/// Names of the users holding the group.
fn holders(state: &KisiState) -> Vec<String> {
    let Some(group) = state.groups.iter().find(|g| g.name == GROUP) else {
        return Vec::new();
    };
    state
        .role_assignments
        .iter()
        .filter(|a| a.group_id == group.id)
        .filter_map(|a| state.users.iter().find(|u| u.id == a.user_id))
        .map(|u| u.name.clone())
        .collect()
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64
}
