//! The console in a real browser (headless chromium over WebDriver) against the real daemon and
//! the simulators: sign in, see names, approve a whole person and see their doors granted in the
//! simulator and in step on their page, see a failure in place, discard, be refused a guard
//! release as approver and release it as admin, search the audit log. The same run saves the
//! screenshots the README shows (`docs/screenshots/*.png`).

use crate::harness::*;
use crate::webdriver::{Browser, WAIT};
use serde_json::{json, Value};
use std::path::PathBuf;

/// The clear token of a role, from the comment the generated config carries.
fn token(yaml: &str, role: &str) -> String {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("# {role} token: ")))
        .unwrap_or_else(|| panic!("no {role} token in the config"))
        .trim()
        .to_string()
}

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(format!("{name}.png"))
}

fn pending(v: &Value) -> Vec<Value> {
    v["suggestions"].as_array().cloned().unwrap_or_default()
}

async fn sign_in(b: &Browser, url: &str, token: &str) {
    b.goto(&format!("{url}/")).await;
    b.find("form.signin").await;
    // Keyboard only: type the token and press Enter.
    b.type_into("#token", &format!("{token}\u{E007}")).await;
    b.find("form.signout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_does_the_days_work_in_the_console() {
    let s = setup(70, 41, "0s", |y| y).await;
    let (sims, config) = (&s.sims, &s.config);
    let (approver, admin) = (token(&s.yaml, "approver"), token(&s.yaml, "admin"));
    let daemon = s.start().await;
    let url = daemon.url.clone();
    let all = eventually("suggestions for p2", WAIT, || async {
        let (_, v) = daemon.get("/api/v1/suggestions?property=p2").await;
        let list = pending(&v);
        (list.len() > 50).then_some(list)
    })
    .await;
    let Some(b) = Browser::start().await else {
        return;
    };

    // `/` leads to the sign-in form; a wrong token is refused with a message.
    b.goto(&format!("{url}/")).await;
    b.find("form.signin").await;
    assert!(b.url().await.ends_with("/console/sign-in"));
    b.screenshot(&shot("sign-in")).await;
    b.type_into("#token", "lst_not-a-real-token").await;
    b.click("form.signin button").await;
    b.wait_text("#signin-error", "not valid").await;

    // Sign in as approver: the overview names the alert a manager looks for.
    b.type_into("#token", &format!("{approver}\u{E007}")).await;
    b.find("form.signout").await;
    let flags = b.cookie_flags("lockstep_session").await;
    assert_eq!(flags["httpOnly"], true, "{flags}");
    assert_eq!(flags["sameSite"], "Strict", "{flags}");
    b.wait_text("#property-p2 .alert", "waiting for review")
        .await;
    let p1 = b.text("#property-p1").await;
    assert!(
        p1.contains("Last successful sync") && p1.contains("kisi-sim: healthy"),
        "{p1}"
    );
    b.screenshot(&shot("overview")).await;

    // Suggestions of p2: one row per person, by name.
    b.click("#property-p2 a").await;
    b.find("table.suggestions").await;
    let table = b.text("table.suggestions").await;
    for s in &all {
        let name = s["name"].as_str().expect("name");
        assert!(table.contains(name), "{name} missing from the page");
    }
    b.screenshot(&shot("suggestions")).await;

    // Select-all takes the first 50 shown; with a search typed, only the rows still shown.
    b.click("#select-all").await;
    assert_eq!(b.count("input[name=id]:checked").await, 50);
    b.wait_text("#selected", "50 selected").await;
    b.click("#select-all").await;
    assert_eq!(b.count("input[name=id]:checked").await, 0);
    let lone = all[3]["person_id"].as_str().expect("person");
    b.type_into("#q", lone).await;
    b.click("#select-all").await;
    assert_eq!(b.count("input[name=id]:checked").await, 1);
    assert_eq!(
        b.count(&format!(
            "input[value='{}']:checked",
            all[3]["id"].as_str().unwrap_or("?")
        ))
        .await,
        1
    );
    b.click("#select-all").await;
    b.goto(&format!("{url}/console/properties/p2/suggestions"))
        .await;

    // Approve a whole person: every door of theirs is granted in the simulator.
    let (first, second, third) = (&all[0], &all[1], &all[2]);
    let id = |s: &Value| s["id"].as_str().expect("id").to_string();
    b.click(&format!("input[value='{}']", id(first))).await;
    b.click("button[value=approve]").await;
    let result = b
        .wait_text(
            &format!("tr[data-id='{}'] td.result", id(first)),
            "executed",
        )
        .await;
    assert!(!result.contains("failed"), "{result}");
    let person = first["person_id"].as_str().expect("person");
    let granted = groups_of(&observe(config, "brivo-sim", "p2").await, person);
    let steps = first["steps"].as_array().expect("steps");
    assert_eq!(granted.len(), steps.len() - 1, "every door of {person}");

    // The person's page: found by name, the doors lockstep granted, an override with a note.
    let first_name = first["name"].as_str().expect("name");
    b.goto(&format!(
        "{url}/console/people?q={}",
        first_name.replace(' ', "+")
    ))
    .await;
    b.click(&format!("ul.people a[href$='/{person}']")).await;
    let doors = b.wait_text("main", "Doors lockstep granted").await;
    for group in &granted {
        assert!(doors.contains(group.as_str()), "{group} missing: {doors}");
    }
    // What each system holds now against what the person should hold: the granted doors in step.
    let access = b.wait_text("section.access", "Access per system").await;
    for group in &granted {
        assert!(access.contains(group.as_str()), "{group} missing: {access}");
    }
    assert!(access.contains("in step"), "{access}");
    b.type_into("input[name=note]", "moved out early, keys returned")
        .await;
    b.click("select[name=status] option[value=past]").await;
    b.click(".person-actions form:first-child button").await;
    b.wait_text(".notice", "forced to past").await;
    b.wait_text("main", "keys returned").await;
    b.screenshot(&shot("person")).await;
    b.goto(&format!("{url}/console/properties/p2/suggestions"))
        .await;

    // The access system fails: the row says so, with the reason, where it was.
    sims.sims.brivo.core.set_faults(lockstep::sim::Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    b.click(&format!("input[value='{}']", id(second))).await;
    b.click("button[value=approve]").await;
    let cell = format!("tr[data-id='{}'] td.result", id(second));
    let failed = b.find(&format!("{cell} .error")).await;
    assert!(!failed.is_empty());
    let text = b.text(&cell).await;
    assert!(text.starts_with("failed"), "{text}");
    assert!(text.contains("500"), "the reason is shown: {text}");
    b.screenshot(&shot("suggestions-result")).await;
    sims.sims
        .brivo
        .core
        .set_faults(lockstep::sim::Faults::default());

    // Discard another person.
    b.click(&format!("input[value='{}']", id(third))).await;
    b.click("button[value=discard]").await;
    b.wait_text(
        &format!("tr[data-id='{}'] td.result", id(third)),
        "discarded",
    )
    .await;
    let (_, v) = daemon
        .get("/api/v1/suggestions?property=p2&state=discarded")
        .await;
    assert!(pending(&v).iter().any(|s| s["id"] == third["id"]), "{v}");

    // Trip p1's guard: 90% of its residents leave at once.
    let residents = crate::safety::current_residents(sims, "p1");
    for r in residents.iter().take(residents.len() * 9 / 10) {
        set_person(sims, "p1", r, |p| p.status = "past".into());
    }
    daemon
        .post("/api/v1/reconcile", json!({"property": "p1"}))
        .await;
    eventually("the guard to trip", WAIT, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == true).then_some(())
    })
    .await;

    // An approver sees what is held but no release button, and a forged POST is refused.
    b.goto(&format!("{url}/console")).await;
    let guard = b.wait_text("#property-p1 .guard", "held").await;
    assert!(guard.contains("needs an admin"), "{guard}");
    assert!(b.try_find("#property-p1 .guard button").await.is_none());
    let session = b.cookie("lockstep_session").await.expect("session cookie");
    let csrf = b
        .attribute("form.signout input[name=csrf]", "value")
        .await
        .expect("csrf");
    let refused = reqwest::Client::new()
        .post(format!("{url}/console/properties/p1/guard/release"))
        .header("cookie", format!("lockstep_session={session}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    let body = refused.text().await.unwrap_or_default();
    assert!(body.contains("needs the role admin"), "{body}");

    // Sign out; sign in as admin; release the guard.
    b.click("form.signout button").await;
    b.find("form.signin").await;
    sign_in(&b, &url, &admin).await;
    b.find("#property-p1 .guard button").await;
    b.screenshot(&shot("overview-guard")).await;
    b.click("#property-p1 .guard button").await;
    b.wait_text(".notice", "Guard of p1 released").await;
    eventually("the released revocations to go through", WAIT, || async {
        let (_, v) = daemon.get("/api/v1/status").await;
        (v["properties"]["p1"]["guard_tripped"] == false).then_some(())
    })
    .await;
    let (_, v) = daemon.get("/api/v1/audit?action=guard_released").await;
    assert_eq!(v["entries"][0]["actor"], "sim-admin", "{v}");

    // The audit log, searched by property, names the people decided on.
    b.goto(&format!("{url}/console/audit?property=p2")).await;
    let audit = b.wait_text("table.audit", "suggestion_approved").await;
    assert!(
        audit.contains(first["name"].as_str().unwrap_or("?")),
        "{audit}"
    );
    assert!(audit.contains("suggestion_discarded"), "{audit}");
    b.screenshot(&shot("audit")).await;
    let href = b
        .attribute(".exports a", "href")
        .await
        .expect("export link");
    let session = b.cookie("lockstep_session").await.expect("session cookie");
    let csv = reqwest::Client::new()
        .get(if href.starts_with("http") {
            href.clone()
        } else {
            format!("{url}{href}")
        })
        .header("cookie", format!("lockstep_session={session}"))
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap_or_default();
    assert!(
        csv.starts_with("seq,") && csv.contains("suggestion_approved"),
        "{csv}"
    );

    // Readable on a phone.
    b.resize(390, 844).await;
    b.goto(&format!("{url}/console/properties/p2/suggestions"))
        .await;
    b.find("table.suggestions").await;
    b.screenshot(&shot("suggestions-phone")).await;
    drop(b);
    assert!(daemon.stop().success());
}
