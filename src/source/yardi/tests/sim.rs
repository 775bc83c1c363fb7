//! The Yardi connector against its simulator (secondary to the golden tests: the simulator is
//! built from the same public material, so agreement here proves less).

use super::super::*;
use crate::config::{Endpoint, Secret};
use crate::model::LeaseStatus;
use crate::sim::world::{self, SourceState};
use crate::sim::yardi::{render_residents, YardiSim};
use crate::sim::Faults;
use std::time::Duration;

async fn start(state: SourceState) -> (YardiSim, String) {
    let sim = YardiSim::new(state, 1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://{}/yardi_voyager",
        listener.local_addr().expect("addr")
    );
    let router = axum::Router::new().nest("/yardi_voyager", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sim, base)
}

fn config(url: &str, password: &str) -> YardiConfig {
    let secret = |v: &str| Secret {
        value: v.into(),
        origin: "test".into(),
    };
    YardiConfig {
        endpoint: Endpoint {
            url: url.into(),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        username: YardiSim::USERNAME.into(),
        password: secret(password),
        server_name: "s".into(),
        database: "d".into(),
        platform: "SQL Server".into(),
        interface_entity: "lockstep".into(),
        interface_license: secret(YardiSim::LICENSE),
    }
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("test timed out")
}

#[tokio::test]
async fn fetch_maps_people() {
    within(async {
        let mut state = world::generate(1, 30, 3, 1_800_000_000);
        state.properties[0].people[0].name = "Zoë O'Neil & <Sons> \"Ltd\"".into();
        let (_sim, url) = start(state.clone()).await;
        let yardi =
            YardiVoyager::new("yardi", &config(&url, YardiSim::PASSWORD), None).expect("connector");
        let snap = yardi.fetch("p1").await.expect("fetch");
        let residents: Vec<_> = state.properties[0]
            .people
            .iter()
            .filter(|p| p.role.is_none())
            .collect();
        assert_eq!(snap.people.len(), residents.len());
        assert_eq!(snap.reported_total, None);
        assert!(snap.problems.is_empty());
        assert_eq!(snap.people[0].name, "Zoë O'Neil & <Sons> \"Ltd\"");
        for (got, want) in snap.people.iter().zip(&residents) {
            assert_eq!(got.id, want.id);
            assert_eq!(got.status.as_str(), want.status);
            assert_eq!(got.unit, want.unit);
            assert_eq!(got.phone, want.phone);
            assert_eq!(got.email, want.email);
            assert_eq!(
                got.lease_start,
                want.lease_start.as_deref().and_then(world::parse_date)
            );
            assert_eq!(
                got.lease_end,
                want.lease_end.as_deref().and_then(world::parse_date)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn errors_are_clear() {
    within(async {
        let (sim, url) = start(world::generate(1, 10, 3, 1_800_000_000)).await;
        let bad = YardiVoyager::new("yardi", &config(&url, "wrong"), None).expect("connector");
        let err = bad.fetch("p1").await.expect_err("bad password");
        assert_eq!(err.kind(), "fault");
        assert!(
            err.to_string().contains("Invalid User Name or Password"),
            "{err}"
        );
        let good =
            YardiVoyager::new("yardi", &config(&url, YardiSim::PASSWORD), None).expect("connector");
        let err = good.fetch("nope").await.expect_err("unknown property");
        assert!(err.to_string().contains("nope"), "{err}");
        sim.core.set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        assert_eq!(good.fetch("p1").await.expect_err("500").kind(), "server");
    })
    .await;
}

#[tokio::test]
async fn short_feeds_are_incomplete_and_empty_is_reported_as_such() {
    within(async {
        let (sim, url) = start(world::generate(1, 40, 3, 1_800_000_000)).await;
        let yardi =
            YardiVoyager::new("yardi", &config(&url, YardiSim::PASSWORD), None).expect("connector");
        sim.core.set_faults(Faults {
            empty: true,
            ..Faults::default()
        });
        let snap = yardi.fetch("p1").await.expect("empty is a valid answer");
        assert_eq!((snap.people.len(), snap.reported_total), (0, None));
        for faults in [
            Faults {
                truncate_pages: true,
                ..Faults::default()
            },
            Faults {
                first_page_only: true,
                ..Faults::default()
            },
        ] {
            sim.core.set_faults(faults.clone());
            let err = yardi.fetch("p1").await.expect_err("short feed");
            assert_eq!(err.kind(), "incomplete", "{faults:?}: {err}");
        }
    })
    .await;
}

#[tokio::test]
async fn vendor_words_pass_through_the_simulator() {
    within(async {
        let mut state = world::generate(1, 6, 3, 1_800_000_000);
        state.properties[0].people[0].status = "Eviction".into();
        state.properties[0].people[1].status = "Hold".into();
        state.properties[0].people[2].status = "Applicant".into();
        let (_sim, url) = start(state.clone()).await;
        let yardi =
            YardiVoyager::new("yardi", &config(&url, YardiSim::PASSWORD), None).expect("connector");
        let snap = yardi.fetch("p1").await.expect("fetch");
        let people = &state.properties[0].people;
        let status_of = |id: &str| snap.people.iter().find(|p| p.id == id).map(|p| p.status);
        assert_eq!(status_of(&people[0].id), Some(LeaseStatus::Current));
        assert_eq!(status_of(&people[1].id), None);
        assert_eq!(status_of(&people[2].id), Some(LeaseStatus::Future));
        assert_eq!(snap.problems.len(), 1);
        assert_eq!(snap.problems[0].person_id, people[1].id);
        assert_eq!(snap.problems[0].kind, "unknown_status");
        assert_eq!(
            snap.listed(),
            people.iter().filter(|p| p.role.is_none()).count()
        );
    })
    .await;
}

#[test]
fn simulator_output_parses() {
    let state = world::generate(1, 25, 9, 1_800_000_000);
    let (inner, _) = render_residents(&state.properties[0], usize::MAX);
    let doc = format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><GetResidentsResponse><GetResidentsResult>{inner}</GetResidentsResult></GetResidentsResponse></soap:Body></soap:Envelope>"
    );
    let snap = parse_residents(&doc, "p1", "y").expect("simulator output");
    assert_eq!(snap.people.len(), 25);
    let err = parse_residents(&doc, "p2", "y").expect_err("other property");
    assert_eq!(err.kind(), "payload", "{err}");
}
