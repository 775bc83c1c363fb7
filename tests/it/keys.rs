//! Mobile keys through the real daemon against the Openpath simulator: every current resident
//! of a property with `mobile_keys:` gets one mobile credential, set-up e-mail sent, issued once
//! across cycles; a resident who moves out loses it.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_get_one_mobile_key_and_lose_it_on_move_out() {
    let s = setup_with(4, 4, 43, "0s", |y| {
        let y = y.replacen(
            "    access_system: openpath-sim\n    mode: approval_required\n",
            "    access_system: openpath-sim\n    mode: automatic\n    mobile_keys: {}\n",
            1,
        );
        assert!(y.contains("mobile_keys: {}"), "{y}");
        y
    })
    .await;
    let current: Vec<String> = s.sims.world.properties[3]
        .people
        .iter()
        .filter(|r| r.role.is_none() && matches!(r.status.as_str(), "current" | "notice"))
        .map(|r| r.id.clone())
        .collect();
    assert!(!current.is_empty());
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
    let (status, audit) = daemon
        .get("/api/v1/audit?property=p4&action=issue_mobile_key&limit=1000")
        .await;
    assert_eq!(status, 200);
    let entries = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .map_or(0, Vec::len);
    assert_eq!(entries, current.len(), "{audit}");
    drop(daemon);
}
