//! The person page's "Access per system" against the Kisi simulator on 127.0.0.1:0 and a CSV
//! source: a group in step, one to grant, one to revoke, one lockstep does not manage, and a
//! second system that cannot be reached, whose message shows while the page still answers.

use super::{send, sign_in};
use crate::config::{Config, ProcessEnv};
use crate::controller::Controller;
use crate::http::AppState;
use crate::metrics::Metrics;
use crate::sim::kisi::{KisiSim, SimCard, SimUser, GROUP_BASIC};
use crate::store::{AuditFilter, Store};
use axum::http::{Method, StatusCode};
use axum::Router;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// A property reading `staff.csv` (one person, r1, in unit 101) into two systems: the Kisi
/// simulator for the lobby, the gym and the unit doors, and a Kisi nobody listens for (the pool).
/// In the simulator r1 already holds Lobby (in step), Gym (nobody should: to revoke) and the
/// hand-made group (not managed); Unit 101 is missing (to grant).
async fn rig(dir: &std::path::Path) -> (AppState, KisiSim, u64) {
    crate::net::install_crypto();
    let sim = KisiSim::new(7);
    sim.seed_groups(&["Lobby".into(), "Gym".into(), "Unit 101".into()]);
    let mut state = sim.state();
    let metadata = [(
        "lockstep_external_id".to_string(),
        serde_json::Value::String("lockstep:staff:r1".into()),
    )]
    .into();
    let user = state.alloc_id();
    state.users.push(SimUser {
        id: user,
        name: "Ann Lee".into(),
        email: "ann@example.com".into(),
        access_enabled: true,
        metadata,
        notes: None,
        created_at: "2026-01-01T00:00:00Z".into(),
    });
    let card = state.alloc_id();
    state.cards.push(SimCard {
        id: card,
        uid: "a1b2c3d4".into(),
        kind: "mobile".into(),
        user_id: Some(user),
    });
    for group in ["Lobby", "Gym", crate::sim::world::FOREIGN_GROUP] {
        let g = state.ensure_group(group);
        state.assign(user, g, GROUP_BASIC, false).expect("assign");
    }
    sim.set_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/kisi", listener.local_addr().expect("addr"));
    let app = Router::new().nest("/kisi", sim.router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    // A port nothing listens on: bound, then dropped.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let csv = dir.join("staff.csv");
    std::fs::write(
        &csv,
        "id,name,email,phone,kind,unit,start,end,status\nr1,Ann Lee,ann@example.com,,resident,101,2025-01-01,,active\n",
    )
    .expect("csv");
    let sha = |t: &str| hex::encode(Sha256::digest(t.as_bytes()));
    let yaml = r#"portfolio: test
data_dir: DATA
api:
  tokens:
    - { name: v, role: viewer, sha256: VIEWER }
sources:
  staff:
    type: csv
    path: CSV
    settle: 0s
access_systems:
  kisi-sim:
    type: kisi
    url: BASE
    api_key: KEY
    requests_per_second: 1000
  pool-kisi:
    type: kisi
    url: http://CLOSED/kisi
    api_key: KEY
    timeout: 2s
properties:
  p1:
    source: staff
    source_property_id: p1
    mode: approval_required
    access_systems:
      kisi-sim: { groups: [Lobby, Gym, "Unit {unit}"] }
      pool-kisi: { groups: [Pool] }
    common_groups: [Lobby, Pool]
    units:
      pattern: "Unit {unit}"
    roles:
      maintenance: [Gym]
"#
    .replace("DATA", &dir.display().to_string())
    .replace("VIEWER", &sha("viewer-token"))
    .replace("CSV", &csv.display().to_string())
    .replace("BASE", &base)
    .replace("KEY", KisiSim::API_KEY)
    .replace("CLOSED", &closed.to_string());
    let config = Config::from_yaml_str(&yaml, &ProcessEnv).expect("config");
    let store = Store::open(dir).expect("store");
    let controller = Controller::new(config, store, Metrics::new()).expect("controller");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::mem::forget(rx);
    let state = AppState {
        controller,
        events: tx,
        checkpoints: None,
        sessions: Default::default(),
    };
    (state, sim, card)
}

/// The table row whose header cell is `group`.
fn row<'a>(body: &'a str, group: &str) -> &'a str {
    let at = body
        .find(&format!("<th scope=\"row\">{group}"))
        .unwrap_or_else(|| panic!("a row for {group}: {body}"));
    let start = body[..at].rfind("<tr").expect("row start");
    let end = at + body[at..].find("</tr>").expect("row end");
    &body[start..end]
}

#[tokio::test]
async fn the_person_page_shows_what_each_system_should_and_does_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, sim, card) = rig(dir.path()).await;
    let before = sim.state();
    let viewer = sign_in(&state, "viewer-token").await;
    let store = &state.controller.store;
    let audited = store
        .audit()
        .range(&AuditFilter::default())
        .expect("audit")
        .len();
    let page = tokio::time::timeout(
        Duration::from_secs(60),
        send(&state, Method::GET, "/console/people/p1/r1", &viewer, ""),
    )
    .await
    .expect("the page answers in time");
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("Access per system"), "{body}");
    assert!(
        body.contains("<h1>Ann Lee "),
        "the name from the source: {body}"
    );
    let lobby = row(body, "Lobby");
    assert!(
        lobby.contains("in step") && lobby.contains("grey"),
        "{lobby}"
    );
    let unit = row(body, "Unit 101");
    assert!(
        unit.contains("to grant") && unit.contains("green"),
        "{unit}"
    );
    let gym = row(body, "Gym<");
    assert!(gym.contains("to revoke") && gym.contains("red"), "{gym}");
    let hand = row(body, crate::sim::world::FOREIGN_GROUP);
    assert!(
        hand.contains("not managed by lockstep") && !hand.contains("to revoke"),
        "{hand}"
    );
    assert!(body.contains("pool-kisi could not be read: "), "{body}");
    let pool = row(body, "Pool");
    assert!(pool.contains("unknown"), "{pool}");
    let listed = format!("<code>{card}</code> <span class=\"muted\">(card)</span>");
    assert!(body.contains("Credentials listed in kisi-sim: "), "{body}");
    assert!(body.contains(&listed), "the card by id and kind: {body}");
    // Looking is a dry run: nothing written to the system, the audit log or the grants.
    assert_eq!(sim.state(), before, "the simulator is unchanged");
    let now = store
        .audit()
        .range(&AuditFilter::default())
        .expect("audit")
        .len();
    assert_eq!(now, audited, "nothing audited");
    assert!(store
        .grants()
        .of("kisi-sim", "p1")
        .expect("grants")
        .is_empty());
}
