//! Mobile keys through the real daemon against the Openpath simulator: every current resident
//! of a property with `mobile_keys:` gets one mobile credential, set-up e-mail sent, issued once
//! across cycles; a resident who moves out loses it; a key reported lost (by id, or with every
//! credential) is revoked and a fresh one issued in its place, once; one deleted by hand is
//! noticed at the next relist and issued afresh.

use crate::harness::*;
use std::collections::BTreeMap;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// Person id → (mobile credentials, set-up e-mails) of the simulator's users lockstep made.
fn keys(s: &Setup) -> BTreeMap<String, (usize, u32)> {
    let state = s.sims.sims.openpath.state();
    state
        .users
        .iter()
        .filter_map(|u| {
            let person = u
                .external_id
                .as_deref()?
                .strip_prefix("lockstep:yardi-sim:")?;
            let mine: Vec<_> = state
                .credentials
                .iter()
                .filter(|c| c.user_id == u.id)
                .collect();
            let emails = mine.iter().map(|c| c.setup_emails).sum();
            Some((person.to_string(), (mine.len(), emails)))
        })
        .collect()
}

/// The ids of the mobile credentials the simulator holds for `person`.
fn key_ids(s: &Setup, person: &str) -> Vec<u64> {
    let state = s.sims.sims.openpath.state();
    let external = format!("lockstep:yardi-sim:{person}");
    let Some(user) = state
        .users
        .iter()
        .find(|u| u.external_id.as_deref() == Some(external.as_str()))
    else {
        return Vec::new();
    };
    state
        .credentials
        .iter()
        .filter(|c| c.user_id == user.id)
        .map(|c| c.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_get_one_mobile_key_and_lose_it_on_move_out() {
    let s = setup_with(4, 4, 43, "0s", |y| {
        let y = y.replacen(
            "    access_system: openpath-sim\n    mode: approval_required\n",
            "    access_system: openpath-sim\n    mode: automatic\n    mobile_keys: {}\n",
            1,
        );
        assert!(y.contains("mobile_keys: {}"), "{y}");
        // A full relist every cycle: each one also checks the recorded keys are still there.
        y.replace("interval: 1s", "interval: 1s\nresync: 1s")
    })
    .await;
    let current: Vec<String> = s.sims.world.properties[3]
        .people
        .iter()
        .filter(|r| r.role.is_none() && matches!(r.status.as_str(), "current" | "notice"))
        .map(|r| r.id.clone())
        .collect();
    assert!(current.len() >= 4, "four current residents: {current:?}");
    let daemon = s.start().await;
    eventually(
        "every current resident to hold one invited key",
        LONG,
        || async {
            let k = keys(&s);
            current
                .iter()
                .all(|p| k.get(p) == Some(&(1, 1)))
                .then_some(())
        },
    )
    .await;
    // Later cycles issue nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let k = keys(&s);
    assert!(current.iter().all(|p| k.get(p) == Some(&(1, 1))), "{k:?}");
    let leaving = current[0].clone();
    set_person(&s.sims, "p4", &leaving, |p| p.status = "past".into());
    eventually("the mover's key to be revoked", LONG, || async {
        (keys(&s).get(&leaving).map(|k| k.0) == Some(0)).then_some(())
    })
    .await;
    // Reported lost: that credential is revoked and a fresh one issued and invited.
    let losing = current[1].clone();
    let old = key_ids(&s, &losing);
    assert_eq!(old.len(), 1, "{old:?}");
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            serde_json::json!({"property": "p4", "person": losing, "credential": old[0].to_string()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let fresh = eventually("the lost key to be replaced", LONG, || async {
        let ids = key_ids(&s, &losing);
        (ids.len() == 1 && ids != old && keys(&s).get(&losing) == Some(&(1, 1))).then_some(ids)
    })
    .await;
    assert_ne!(fresh, old);
    // Every credential reported lost (no id, as the console's button and events send it): the
    // key is replaced once, and the replacement is not lost in turn.
    let everything = current[2].clone();
    let before = key_ids(&s, &everything);
    let (status, body) = daemon
        .post(
            "/api/v1/lost-credential",
            serde_json::json!({"property": "p4", "person": everything}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = eventually("the key to be replaced", LONG, || async {
        let ids = key_ids(&s, &everything);
        (ids.len() == 1 && ids != before).then_some(ids)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(key_ids(&s, &everything), after, "replaced once, then kept");
    // A key deleted by hand in Openpath is noticed at the next relist and issued afresh.
    let deleted = current[3].clone();
    let held = key_ids(&s, &deleted);
    assert_eq!(held.len(), 1, "{held:?}");
    let mut state = s.sims.sims.openpath.state();
    state.credentials.retain(|c| c.id != held[0]);
    s.sims.sims.openpath.set_state(state);
    let again = eventually("the deleted key to be issued afresh", LONG, || async {
        let ids = key_ids(&s, &deleted);
        (ids.len() == 1 && ids != held).then_some(ids)
    })
    .await;
    assert_ne!(again, held);
    // The person's console page names the key lockstep issued by its credential id.
    let page = daemon
        .console_page(&format!("/console/people/p4/{everything}"))
        .await;
    assert!(page.contains("<h2>Mobile key</h2>"), "{page}");
    assert!(
        page.contains(&format!("<code>{}</code> in openpath-sim", after[0])),
        "{page}"
    );
    let (status, audit) = daemon
        .get("/api/v1/audit?property=p4&action=issue_mobile_key&limit=1000")
        .await;
    assert_eq!(status, 200);
    let entries = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .map_or(0, Vec::len);
    assert_eq!(
        entries,
        current.len() + 3,
        "one more per replacement: {audit}"
    );
    drop(daemon);
}
