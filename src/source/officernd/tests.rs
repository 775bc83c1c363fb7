//! The OfficeRnD connector against its simulator on `127.0.0.1:0` (secondary to the golden
//! tests: both are built from the same public material). Every test runs under a timeout.

use super::*;
use crate::config::{Endpoint, Secret};
use crate::model::{LeaseStatus, RecordProblem};
use crate::sim::officernd::world::{self, OfficerndState, LOCATION_ID, ORG_SLUG};
use crate::sim::officernd::OfficerndSim;
use crate::sim::Faults;
use serde_json::json;
use std::time::Duration;

const LOCATION: &str = "Foundry Cowork";

async fn start(state: OfficerndState) -> (OfficerndSim, Officernd) {
    let sim = OfficerndSim::new(state, 1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/officernd", listener.local_addr().expect("addr"));
    let router = axum::Router::new().nest("/officernd", sim.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let cfg = OfficerndConfig {
        endpoint: Endpoint {
            url: base.clone(),
            timeout: Duration::from_secs(5),
            requests_per_second: None,
            stale_after: Duration::from_secs(3600),
        },
        auth_url: base,
        client_id: OfficerndSim::CLIENT_ID.into(),
        client_secret: Secret {
            value: OfficerndSim::CLIENT_SECRET.into(),
            origin: "test".into(),
        },
        org_slug: ORG_SLUG.into(),
    };
    (sim, Officernd::new("orn", &cfg).expect("client"))
}

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test timed out")
}

fn now() -> i64 {
    crate::controller::now()
}

/// 120 members: three pages of `/members` at `$limit` 50.
fn world120() -> OfficerndState {
    world::generate(LOCATION, 120, 7, now())
}

fn count(sim: &OfficerndSim, key: &str) -> u64 {
    sim.core.stats().count(key)
}

const MEMBERS: &str = "GET /officernd/api/v2/organizations/{org}/{list}";
const TOKEN: &str = "POST /officernd/oauth/token";

#[tokio::test]
async fn every_page_is_read_and_members_are_mapped() {
    within(async {
        let mut state = world120();
        let edges = world::seed_demo_edges(&mut state, now());
        assert_eq!(edges.len(), 3);
        let (sim, orn) = start(state.clone()).await;
        let snap = orn.fetch(LOCATION).await.expect("fetch");
        assert_eq!(snap.listed(), 120, "all three pages of members");
        assert!(snap.problems.is_empty(), "{:?}", snap.problems);
        assert_eq!(snap.reported_total, None);
        // Every page of every list (members: 3 pages), one token for the whole fetch.
        let pages: u64 = world::LISTS
            .iter()
            .map(|l| state.lists[*l].len().div_ceil(50).max(1) as u64)
            .sum();
        assert_eq!(state.lists["members"].len().div_ceil(50), 3);
        assert_eq!(count(&sim, MEMBERS), pages);
        assert_eq!(count(&sim, TOKEN), 1);
        // By _id as well as by name.
        assert_eq!(
            orn.fetch(LOCATION_ID).await.expect("by id").people.len(),
            120
        );
        // The demo's booking and day pass are mapped to the first two active members.
        let active: Vec<_> = snap
            .people
            .iter()
            .filter(|p| p.status == LeaseStatus::Current)
            .collect();
        let first = active[0].membership.as_ref().unwrap();
        let b = first
            .bookings
            .iter()
            .find(|b| b.id == "bk-demo")
            .expect("booking");
        assert_eq!(b.resource, "Board Room");
        assert_eq!(b.end - b.start, 60);
        assert!(!b.cancelled);
        let p = active
            .iter()
            .filter_map(|m| m.membership.as_ref())
            .flat_map(|m| m.day_passes.iter())
            .find(|p| p.id == "ps-demo")
            .expect("pass");
        assert_eq!((p.name.as_str(), p.remaining), ("Day Pass", 2));
        assert!(p.valid_until.unwrap() > now());
        assert_eq!(first.location.as_deref(), Some(LOCATION));
        // Plans, dates and offices.
        let office = snap
            .people
            .iter()
            .filter_map(|p| p.membership.as_ref().map(|m| (p, m)))
            .find(|(_, m)| m.plans.iter().any(|n| n == "Private Office"))
            .expect("a private-office member");
        assert_eq!(office.1.offices.len(), 1);
        assert!(office.1.floor.is_some());
        assert!(office.0.lease_start.is_some());
        let former = snap
            .people
            .iter()
            .find(|p| p.status == LeaseStatus::Past)
            .expect("former");
        assert!(former.lease_end.unwrap() < now());
        assert!(snap.people.iter().any(|p| p.status == LeaseStatus::Future));
    })
    .await;
}

#[tokio::test]
async fn an_unknown_location_or_org_is_an_error_not_an_empty_list() {
    within(async {
        let (sim, orn) = start(world120()).await;
        let e = orn.fetch("Elsewhere").await.unwrap_err();
        assert!(e.to_string().contains("no location"), "{e}");
        let mut state = world120();
        state.org_slug = "someone-else".into();
        *crate::sim::write(&sim.state) = state;
        let e = orn.fetch(LOCATION).await.unwrap_err();
        assert!(e.to_string().contains("404"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn an_unknown_status_is_a_problem_for_that_member_only() {
    within(async {
        let mut state = world120();
        state.lists.get_mut("members").unwrap()[4]["status"] = json!("suspended");
        let (_sim, orn) = start(state).await;
        let snap = orn.fetch(LOCATION).await.expect("fetch");
        assert_eq!(snap.people.len(), 119);
        assert_eq!(snap.problems.len(), 1);
        assert_eq!(snap.problems[0].person_id, "m-0004");
        assert_eq!(snap.problems[0].kind, RecordProblem::UNKNOWN_STATUS);
    })
    .await;
}

#[tokio::test]
async fn a_malformed_page_fails_the_whole_fetch() {
    within(async {
        let mut state = world120();
        state.quirks.malformed_members_page = Some(2);
        let (sim, orn) = start(state).await;
        let e = orn.fetch(LOCATION).await.unwrap_err();
        assert_eq!(e.kind(), "payload", "{e}");
        let text = e.to_string();
        assert!(
            text.contains("/members page 2") && text.contains(LOCATION),
            "{text}"
        );
        // A page cut off mid-body (a later page) fails too.
        crate::sim::write(&sim.state).quirks = Default::default();
        sim.core.set_faults(Faults {
            truncate_pages: true,
            ..Faults::default()
        });
        let e = orn.fetch(LOCATION).await.unwrap_err();
        assert!(e.to_string().contains("/members page 2"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_repeating_cursor_fails_the_fetch() {
    within(async {
        let mut state = world120();
        state.quirks.repeat_cursor = true;
        let (sim, orn) = start(state).await;
        let e = orn.fetch(LOCATION).await.unwrap_err();
        assert_eq!(e.kind(), "incomplete", "{e}");
        assert!(e.to_string().contains("cursor repeats"), "{e}");
        assert!(count(&sim, MEMBERS) < 20, "the loop stops at the repeat");
    })
    .await;
}

#[tokio::test]
async fn the_token_is_cached_refreshed_near_expiry_and_a_401_is_retried_once() {
    within(async {
        let mut state = world120();
        state.token_lifetime_secs = 2;
        let (sim, orn) = start(state).await;
        orn.fetch(LOCATION).await.expect("first");
        assert_eq!(count(&sim, TOKEN), 1);
        // Past half of a 2 s lifetime the next fetch asks for a new token first.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        orn.fetch(LOCATION).await.expect("after expiry");
        assert_eq!(count(&sim, TOKEN), 2);
        // The server forgets every token: one 401, one new token, the same request again.
        crate::sim::write(&sim.state).token_lifetime_secs = 3600;
        orn.fetch(LOCATION).await.expect("third");
        let tokens_before = count(&sim, TOKEN);
        crate::sim::write(&sim.state).tokens.clear();
        orn.fetch(LOCATION).await.expect("after revocation");
        assert_eq!(count(&sim, TOKEN), tokens_before + 1);
        assert_eq!(sim.core.stats().by_status.get("401"), Some(&1));
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_request_is_an_auth_error_without_the_secret() {
    within(async {
        let (_sim, mut orn) = start(world120()).await;
        orn.cfg.client_secret.value = "wrong-secret".into();
        let e = orn.fetch(LOCATION).await.unwrap_err();
        assert_eq!(e.kind(), "auth", "{e}");
        let text = e.to_string();
        assert!(
            text.contains("invalid_client") && !text.contains("wrong-secret"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn limit_above_fifty_is_capped_as_documented() {
    within(async {
        let (sim, orn) = start(world120()).await;
        let token = orn.access_token().await.expect("token");
        let url = format!(
            "{}/api/v2/organizations/{ORG_SLUG}/members?$limit=500",
            orn.http.base_url()
        );
        let body: serde_json::Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["results"].as_array().unwrap().len(), 50);
        assert_eq!(
            (body["rangeStart"].as_u64(), body["rangeEnd"].as_u64()),
            (Some(1), Some(50))
        );
        assert!(body["cursorPrev"].is_null() && body["cursorNext"].is_string());
        let _ = sim;
    })
    .await;
}
