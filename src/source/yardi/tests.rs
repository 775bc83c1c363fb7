//! The Yardi connector against its simulator, and the parser against bad input.

use super::*;
use crate::config::{Endpoint, Secret};
use crate::sim::world::{self, SourceState};
use crate::sim::yardi::{render_residents, YardiSim};
use crate::sim::Faults;
use proptest::prelude::*;
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
        let p = &state.properties[0];
        assert_eq!(snap.people.len(), p.people.len());
        assert_eq!(snap.reported_total, Some(p.people.len()));
        assert_eq!(snap.people[0].name, "Zoë O'Neil & <Sons> \"Ltd\"");
        for (got, want) in snap.people.iter().zip(&p.people) {
            assert_eq!(got.id, want.id);
            assert_eq!(got.status.as_str(), want.status);
            assert_eq!(got.unit, want.unit);
            assert_eq!(got.role, want.role);
            assert_eq!(
                got.lease_start,
                want.lease_start.as_deref().and_then(world::parse_date)
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
        assert_eq!((snap.people.len(), snap.reported_total), (0, Some(0)));
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

fn sample() -> String {
    let state = world::generate(1, 5, 9, 1_800_000_000);
    format!("<Envelope><Body><GetResidentsResponse><GetResidentsResult>{}</GetResidentsResult></GetResidentsResponse></Body></Envelope>", render_residents(&state.properties[0], None))
}

#[test]
fn parser_rejects_bad_documents_clearly() {
    assert!(parse_residents(&sample(), "p1", "y").is_ok());
    for (doc, kind) in [
        ("", "payload"),
        ("garbage", "payload"),
        ("<a><b>", "incomplete"),
    ] {
        let err = parse_residents(doc, "p1", "y").expect_err(doc);
        assert_eq!(err.kind(), kind, "{doc:?}: {err}");
    }
    let no_id = sample().replacen("<CustomerID>p1-00000</CustomerID>", "", 1);
    let err = parse_residents(&no_id, "p1", "y").expect_err("missing id");
    assert!(
        err.to_string().contains("customer 1: missing CustomerID"),
        "{err}"
    );
    let bad_status = sample().replacen("<Status>", "<Status>Evicted-ish", 1);
    assert!(parse_residents(&bad_status, "p1", "y")
        .expect_err("status")
        .to_string()
        .contains("unknown Status"));
    let dup = sample().replacen("p1-00001", "p1-00000", 2);
    assert!(parse_residents(&dup, "p1", "y")
        .expect_err("dup")
        .to_string()
        .contains("appears twice"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(s in ".{0,400}") {
        let _ = parse_residents(&s, "p1", "y");
    }

    #[test]
    fn parser_never_panics_on_damaged_documents(cut in 0usize..2000, flips in prop::collection::vec((0usize..2000, any::<u8>()), 0..4)) {
        let mut bytes = sample().into_bytes();
        for (i, b) in flips {
            if !bytes.is_empty() {
                let n = bytes.len();
                bytes[i % n] = b;
            }
        }
        bytes.truncate(cut.min(bytes.len()));
        let text = String::from_utf8_lossy(&bytes);
        match parse_residents(&text, "p1", "y") {
            Ok(snap) => prop_assert_eq!(Some(snap.people.len()), snap.reported_total),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
