//! The coworking property (the sixth generated one): members from the OfficeRnD simulator,
//! doors in Kisi, reconciled by the real daemon. Plans, offices and floors open their groups;
//! a booking opens its room for the booking and closes it when the booking is cancelled; former
//! members hold nothing.

use crate::harness::*;
use lockstep::sim::officernd::world::{booking, iso, pass};
use serde_json::Value;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

fn p6_automatic(yaml: String) -> String {
    let at = yaml.find("\n  p6:\n").expect("p6 in the config");
    let (head, tail) = yaml.split_at(at);
    format!(
        "{head}{}",
        tail.replacen("mode: approval_required", "mode: automatic", 1)
    )
}

fn member_groups(actual: &lockstep::model::ActualState, member: &str) -> Vec<String> {
    actual
        .users
        .get(&format!("lockstep:officernd-sim:{member}"))
        .map(|u| u.groups.keys().cloned().collect())
        .unwrap_or_default()
}

fn members_with(
    state: &lockstep::sim::officernd::world::OfficerndState,
    status: &str,
) -> Vec<String> {
    state.lists["members"]
        .iter()
        .filter(|m| m["status"] == status)
        .filter_map(|m| m["_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coworking_space_converges_and_follows_bookings() {
    let s = setup_with(6, 4, 91, "0s", p6_automatic).await;
    assert_eq!(s.config.sources["officernd-sim"].kind(), "officernd");
    let p6 = &s.config.properties["p6"];
    assert_eq!(p6.name, "Foundry Cowork");
    let state = lockstep::sim::read(&s.sims.sims.officernd.state).clone();
    let active = members_with(&state, "active");
    let former = members_with(&state, "former");
    let daemon = s.start().await;
    eventually("p6 to converge", LONG, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        let p = &v["properties"]["p6"];
        (p["drift"] == 0 && p["last_result"] == "ok").then_some(())
    })
    .await;
    let actual = observe(&s.config, "kisi-sim", "p6").await;
    for m in &active {
        let groups = member_groups(&actual, m);
        assert!(
            groups.iter().any(|g| g == "Foundry Cowork Lobby"),
            "{m} holds the location's group: {groups:?}"
        );
    }
    for m in &former {
        assert!(
            member_groups(&actual, m).is_empty(),
            "former member {m} holds nothing"
        );
    }
    let office_holder = state.lists["memberships"]
        .iter()
        .find(|ms| ms["plan"] == "pl-office")
        .and_then(|ms| ms["member"].as_str())
        .expect("a private-office member")
        .to_string();
    let groups = member_groups(&actual, &office_holder);
    assert!(
        groups
            .iter()
            .any(|g| g.starts_with("Foundry Cowork Office ")),
        "{groups:?}"
    );
    assert!(
        groups
            .iter()
            .any(|g| g.starts_with("Foundry Cowork Floor ")),
        "{groups:?}"
    );

    // A Focus Room booking running now opens the room for its member …
    let now = lockstep::controller::now();
    let booker = active.last().expect("an active member").clone();
    {
        let mut st = lockstep::sim::write(&s.sims.sims.officernd.state);
        st.lists
            .get_mut("bookings")
            .expect("bookings")
            .push(booking(
                "bk-it",
                "rs-focus",
                &booker,
                now - 60,
                now + 3600,
                false,
            ));
    }
    let holds_room = |want: bool| {
        let config = s.config.clone();
        let booker = booker.clone();
        move || {
            let config = config.clone();
            let booker = booker.clone();
            async move {
                let actual = observe(&config, "kisi-sim", "p6").await;
                let has = member_groups(&actual, &booker)
                    .iter()
                    .any(|g| g == "Foundry Cowork Focus Room");
                (has == want).then_some(())
            }
        }
    };
    eventually("the booked room to open", LONG, holds_room(true)).await;
    // … and cancelling the booking closes it again.
    {
        let mut st = lockstep::sim::write(&s.sims.sims.officernd.state);
        for b in st.lists.get_mut("bookings").expect("bookings") {
            if b["_id"] == "bk-it" {
                b["isCancelled"] = Value::Bool(true);
                b["end"] = serde_json::json!({"dateTime": iso(now + 3600)});
            }
        }
    }
    eventually(
        "the cancelled booking's room to close",
        LONG,
        holds_room(false),
    )
    .await;

    // Day passes open the entrance to a Mail Only member until they expire.
    let mail_only = state.lists["memberships"]
        .iter()
        .find(|ms| {
            ms["plan"] == "pl-mail"
                && active.iter().any(|a| ms["member"] == a.as_str())
                && !state.lists["passes"]
                    .iter()
                    .any(|p| p["member"] == ms["member"])
        })
        .and_then(|ms| ms["member"].as_str())
        .expect("a Mail Only member")
        .to_string();
    let entrance = |want: bool| {
        let config = s.config.clone();
        let member = mail_only.clone();
        move || {
            let config = config.clone();
            let member = member.clone();
            async move {
                let actual = observe(&config, "kisi-sim", "p6").await;
                let has = member_groups(&actual, &member)
                    .iter()
                    .any(|g| g == "Foundry Cowork Entrance");
                (has == want).then_some(())
            }
        }
    };
    eventually(
        "a Mail Only member without the entrance",
        LONG,
        entrance(false),
    )
    .await;
    let until = lockstep::controller::now() + 6;
    lockstep::sim::write(&s.sims.sims.officernd.state)
        .lists
        .get_mut("passes")
        .expect("passes")
        .push(pass("ps-it", &mail_only, 2, 0, until - 86_400, until));
    eventually("the day pass to open the entrance", LONG, entrance(true)).await;
    eprintln!(
        "opened {}s before expiry",
        until - lockstep::controller::now()
    );
    eventually("the expired day pass to close it", LONG, entrance(false)).await;
    eprintln!(
        "closed {}s after expiry",
        lockstep::controller::now() - until
    );
    assert!(
        lockstep::controller::now() >= until,
        "closed no earlier than the expiry"
    );
    assert!(daemon.stop().success());
}
