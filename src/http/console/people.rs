//! People: search a person across properties (by name or id, among everyone the audit log or a
//! pending suggestion names), and one person's page per property: the change waiting for review;
//! their access per system (`access.rs`): what they should hold, decided as a cycle would decide
//! it now (a dry run of the property's cycle, `Controller::person_view`, which writes nothing),
//! against what each system holds as the informer last observed it, with the word for the
//! difference and the credentials the system lists (ids and kinds); the memberships lockstep
//! recorded granting; their PIN (generation and date, never a value) and mobile key; their override,
//! credentials reported lost, and their history from the audit log. A source or system that
//! cannot be read shows its message and the rest of the page stands. Approvers can override the
//! status (with a note), clear the override, report a lost credential, and bring the property's
//! next cycle forward.

use super::session::Flash;
use super::{
    check_csrf, csrf_field, field, form_fields, page, seg, user, when, PageError, PageResult,
};
use crate::config::Role;
use crate::controller::Controller;
use crate::http::{input, AppState};
use crate::model::LeaseStatus;
use crate::store::{rfc3339, AuditFilter, SuggestionState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Most people one search lists.
pub const MAX_FOUND: usize = 50;
/// Most history entries one person's page shows (the newest).
pub const HISTORY: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<Search>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let u = user(&state, &headers, Role::Viewer)?;
    let Query(search) = q.map_err(|e| PageError::bad(format!("Search: {e}")))?;
    input::text("search", &search.q, 200).map_err(|e| PageError::bad(e.message))?;
    let want = search.q.trim().to_lowercase();
    // (property, person id) → name
    let mut found: BTreeMap<(String, String), String> = BTreeMap::new();
    if !want.is_empty() {
        let store = &state.controller.store;
        let hit = |id: &str, name: &str| {
            id.to_lowercase().contains(&want) || name.to_lowercase().contains(&want)
        };
        for s in store
            .suggestions()
            .list(None, Some(SuggestionState::Pending))?
        {
            if hit(&s.person_id, &s.name) {
                found.insert((s.property, s.person_id), s.name);
            }
        }
        for e in store.audit().iter(&AuditFilter::default()) {
            let e = e?;
            if let (Some(p), Some(id)) = (e.property, e.person_id) {
                let name = e.person_name.unwrap_or_default();
                if hit(&id, &name) {
                    let slot = found.entry((p, id)).or_default();
                    if !name.is_empty() {
                        *slot = name;
                    }
                }
            }
        }
    }
    let total = found.len();
    let body = html! {
        h1 { "People" }
        form.filters method="get" action="/console/people" role="search" {
            label { "Name or person id " input type="search" name="q" id="people-q" value=(search.q) autofocus; }
            button type="submit" { "Search" }
        }
        @if !want.is_empty() {
            p role="status" { (total) " found" @if total > MAX_FOUND { "; the first " (MAX_FOUND) " are shown" } "." }
            ul.people {
                @for ((property, id), name) in found.iter().take(MAX_FOUND) {
                    li { a href=(format!("/console/people/{}/{}", seg(property), seg(id))) { (if name.is_empty() { id } else { name }) } " " span.muted { (id) " in " (property) } }
                }
            }
        }
    };
    Ok(page("People", Some(&u), body))
}

pub async fn person(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, id)): Path<(String, String)>,
) -> PageResult {
    let u = user(&state, &headers, Role::Viewer)?;
    input::id("person", &id).map_err(|e| PageError::bad(e.message))?;
    let c = &state.controller;
    let config = c.config();
    let p = config.properties.get(&property).ok_or_else(|| {
        PageError::Status(
            StatusCode::NOT_FOUND,
            format!("No property named {property:?}."),
        )
    })?;
    let flash = state.sessions.take_flash(&u).unwrap_or_default();
    let store = &c.store;
    let history = {
        let filter = AuditFilter {
            property: Some(property.clone()),
            person: Some(id.clone()),
            ..AuditFilter::default()
        };
        let mut all = store.audit().range(&filter)?;
        let cut = all.len().saturating_sub(HISTORY);
        all.drain(..cut);
        all.reverse();
        all
    };
    let suggestion = store
        .suggestions()
        .list(Some(&property), Some(SuggestionState::Pending))?
        .into_iter()
        .find(|s| s.person_id == id);
    let access = c
        .person_view(&property, &id)
        .await
        .map_err(|e| e.to_string());
    let name = suggestion
        .as_ref()
        .map(|s| s.name.clone())
        .or_else(|| history.iter().find_map(|e| e.person_name.clone()))
        .or_else(|| access.as_ref().ok().and_then(|v| v.name.clone()))
        .unwrap_or_else(|| id.clone());
    let suffix = format!(":{id}");
    // An external id lockstep gave this person (one per source).
    let mine = |ext: &str| ext.starts_with("lockstep:") && ext.ends_with(&suffix);
    let mut granted: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for system in p.access_systems.keys() {
        for ((ext, group), rec) in store.grants().of(system, &property)? {
            if mine(&ext) {
                granted
                    .entry(system.clone())
                    .or_default()
                    .push((group, rec.at));
            }
        }
    }
    let mut pins = Vec::new();
    if let Some(rules) = &p.pins {
        for (ext, pin) in store.pins().of(&property, &rules.system)? {
            if mine(&ext) {
                pins.push((rules.system.clone(), pin));
            }
        }
    }
    let mut keys = Vec::new();
    if let Some(rules) = &p.mobile_keys {
        for (ext, key) in store.mobile_keys().of(&property, &rules.system)? {
            if mine(&ext) {
                keys.push((rules.system.clone(), key));
            }
        }
    }
    let o = store.overrides().get(&property, &id)?;
    let lost = store
        .lost()
        .for_property(&property)?
        .remove(&id)
        .unwrap_or_default();
    let can_act = Controller::allows(u.role, Role::Approver);
    let now = crate::controller::now();
    let action = |what: &str| format!("/console/people/{}/{}/{what}", seg(&property), seg(&id));
    let body = html! {
        p { a href="/console/people" { "← People" } }
        h1 { (name) " " span.muted { "(" (id) " in " (p.name) ")" } }
        @if let Some(n) = &flash.notice { p.notice role="status" { (n) } }
        h2 { "Waiting for review" }
        @match &suggestion {
            Some(s) => p { a href=(format!("/console/properties/{}/suggestions?q={}", seg(&property), seg(&id))) { (s.reason) } " — "
                @for step in &s.steps { (step.system) ": " (step.describe) "; " } },
            None => p.muted { "No change waits for review." },
        }
        (super::access::section(&access))
        h2 { "Doors lockstep granted" }
        @if granted.is_empty() { p.muted { "None recorded." } }
        @for (system, groups) in &granted {
            h3 { (system) }
            ul { @for (g, at) in groups { li { (g) " " span.muted { "since " (when(Some(*at), now)) } } } }
        }
        @if p.pins.is_some() {
            h2 { "PIN" }
            @if pins.is_empty() { p.muted { "No PIN issued by lockstep." } }
            @for (system, pin) in &pins {
                // The value is never kept: generation and date only.
                p { "PIN #" (pin.generation) " in " (system) ", issued " (when(Some(pin.issued_at), now)) }
            }
        }
        @if p.mobile_keys.is_some() {
            h2 { "Mobile key" }
            @if keys.is_empty() { p.muted { "No mobile key issued by lockstep." } }
            @for (system, key) in &keys {
                p { "Mobile credential " code { (key.credential_id) } " in " (system) ", issued " (when(Some(key.issued_at), now))
                    " " span.muted { "(reported lost, it is revoked and a fresh one issued)" } }
            }
        }
        h2 { "Override" }
        @match &o {
            Some(o) => p { "Status forced to " strong { (o.force_status.map(|s| s.as_str()).unwrap_or("—")) }
                " by " (o.set_by) ", " (when(Some(o.set_at), now))
                @if let Some(n) = &o.note { ": " (n) } },
            None => p.muted { "None: the source decides." },
        }
        @if !lost.is_empty() {
            p { "Credentials reported lost: " @for c in &lost { code { (c) } " " } }
        }
        @if can_act {
            div.person-actions {
                form method="post" action=(action("override")) {
                    (csrf_field(&u))
                    label { "Force status "
                        select name="status" {
                            @for s in ["future", "current", "notice", "past"] { option value=(s) { (s) } }
                        }
                    }
                    label { " Note " input name="note" required maxlength="1000"; }
                    button type="submit" { "Set override" }
                }
                @if o.is_some() {
                    form method="post" action=(action("clear-override")) {
                        (csrf_field(&u)) button.secondary type="submit" { "Clear the override" }
                    }
                }
                form method="post" action=(action("lost")) {
                    (csrf_field(&u)) button.danger type="submit" { "Report a lost credential (revokes it now)" }
                }
                @if p.pins.is_some() {
                    form method="post" action=(action("lost-pin")) {
                        (csrf_field(&u))
                        label { input type="checkbox" name="replace" checked; " Replace it with a new PIN" }
                        " "
                        button.danger type="submit" { "Report the PIN lost" }
                    }
                }
                form method="post" action=(action("sync")) {
                    (csrf_field(&u)) button.secondary type="submit" { "Sync " (property) " now" }
                }
            }
        }
        h2 { "History" }
        table.audit {
            thead { tr { th scope="col" { "Time" } th scope="col" { "Action" } th scope="col" { "Outcome" } th scope="col" { "What and why" } th scope="col" { "By" } } }
            tbody {
                @for e in &history {
                    tr { td { (rfc3339(e.time)) } td { (e.action) } td { (e.outcome.as_str()) }
                         td { (e.object) @if !e.object.is_empty() { " — " } (e.reason) @if let Some(err) = &e.error { div.error { (err) } } }
                         td { (e.actor) } }
                }
            }
        }
    };
    Ok(page(&format!("{name} · People"), Some(&u), body))
}

/// The approver actions on one person: `override`, `override/clear`, `lost`, `sync`.
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((property, id, what)): Path<(String, String, String)>,
    body: Bytes,
) -> PageResult {
    let u = user(&state, &headers, Role::Approver)?;
    let fields = form_fields(&body);
    check_csrf(&u, &fields)?;
    input::id("person", &id).map_err(|e| PageError::bad(e.message))?;
    let c = &state.controller;
    if !c.config().properties.contains_key(&property) {
        return Err(PageError::Status(
            StatusCode::NOT_FOUND,
            format!("No property named {property:?}."),
        ));
    }
    let notice = match what.as_str() {
        "override" => {
            let status = field(&fields, "status").unwrap_or("");
            let force: LeaseStatus =
                serde_json::from_value(serde_json::Value::String(status.into())).map_err(|_| {
                    PageError::bad(format!(
                        "Status {status:?}: choose future, current, notice or past."
                    ))
                })?;
            let note = field(&fields, "note").unwrap_or("").trim().to_string();
            if note.is_empty() {
                return Err(PageError::bad("Note: say why the status is overridden."));
            }
            input::text("note", &note, input::MAX_NOTE).map_err(|e| PageError::bad(e.message))?;
            let manual = crate::policy::ManualOverride {
                force_status: Some(force),
                ..Default::default()
            };
            c.set_override(&property, &id, manual, Some(note), &u.name)?;
            format!("Status of {id} forced to {status}; the next cycle applies it.")
        }
        "clear-override" => match c.clear_override(&property, &id, &u.name)? {
            true => format!("Override of {id} cleared: the source decides again."),
            false => format!("{id} has no override."),
        },
        "lost" => {
            let report = c
                .lost_credential(&property, &id, None, false, &u.name)
                .await?;
            let revoked = report
                .actions()
                .filter(|(_, a)| a.name() == "revoke_credential")
                .count();
            format!("Lost credential reported for {id}: {revoked} revoked now; kept revoked from now on.")
        }
        "lost-pin" => {
            let replace = field(&fields, "replace") == Some("on");
            c.lost_credential(
                &property,
                &id,
                Some(crate::policy::pins::PIN_CREDENTIAL),
                replace,
                &u.name,
            )
            .await?;
            if replace {
                format!("PIN of {id} reported lost: a new PIN replaces it and is delivered through the notification sink.")
            } else {
                format!("PIN of {id} reported lost: it is cleared and no new one is issued.")
            }
        }
        "sync" => format!("The next cycle of {property} was brought forward."),
        other => {
            return Err(PageError::Status(
                StatusCode::NOT_FOUND,
                format!("No action {other:?}."),
            ))
        }
    };
    tracing::info!(actor = %u.name, property = %property, person = %id, action = %what, "console person action");
    let _ = state
        .events
        .send(crate::app::Event::Trigger(Some(property.clone())));
    state.sessions.set_flash(
        &u,
        Flash {
            notice: Some(notice),
            results: Vec::new(),
        },
    );
    Ok(Redirect::to(&format!("/console/people/{}/{}", seg(&property), seg(&id))).into_response())
}
