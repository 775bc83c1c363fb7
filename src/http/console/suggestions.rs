//! Suggestions of one property, one row per person: name, unit, kind, the change in words and
//! colours, the reason, since when. Filters (search, colour, kind) are a plain GET form; up to 50
//! rows are selected and approved or discarded with one POST. After a decision the page shows
//! each decided row where it was, with its result (executed, failed and why, discarded, …).

use super::session::Flash;
use super::{
    check_csrf, csrf_field, field, form_fields, page, seg, user, when, PageError, PageResult, User,
};
use crate::config::Role;
use crate::controller::{Controller, MAX_APPROVALS};
use crate::http::{input, AppState};
use crate::model::Direction;
use crate::store::{Suggestion, SuggestionState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Most rows one page shows; a longer list asks for a narrower search.
pub const MAX_ROWS: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    colour: String,
    #[serde(default)]
    kind: String,
}

impl Filter {
    fn matches(&self, s: &Suggestion) -> bool {
        let q = self.q.trim().to_lowercase();
        let text = format!(
            "{} {} {} {}",
            s.name,
            s.unit.as_deref().unwrap_or(""),
            s.person_id,
            s.reason
        )
        .to_lowercase();
        (q.is_empty() || text.contains(&q))
            && (self.colour.is_empty() || s.colour.as_str() == self.colour)
            && (self.kind.is_empty() || s.kind == self.kind)
    }
}

fn known_property(state: &AppState, id: &str) -> Result<String, PageError> {
    state
        .controller
        .config()
        .properties
        .get(id)
        .map(|p| p.name.clone())
        .ok_or_else(|| {
            PageError::Status(StatusCode::NOT_FOUND, format!("No property named {id:?}."))
        })
}

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let u = user(&state, &headers, Role::Viewer)?;
    let Query(filter) = filter.map_err(|e| PageError::bad(format!("Filter: {e}")))?;
    for (name, value) in [
        ("search", &filter.q),
        ("colour", &filter.colour),
        ("kind", &filter.kind),
    ] {
        input::text(name, value, 200).map_err(|e| PageError::bad(e.message))?;
    }
    let name = known_property(&state, &id)?;
    let store = state.controller.store.suggestions();
    let pending = store.list(Some(&id), Some(SuggestionState::Pending))?;
    let kinds: std::collections::BTreeSet<String> =
        pending.iter().map(|s| s.kind.clone()).collect();
    let flash = state.sessions.take_flash(&u).unwrap_or_default();
    let results: BTreeMap<String, (String, Option<String>)> = flash
        .results
        .iter()
        .map(|(i, st, e)| (i.clone(), (st.clone(), e.clone())))
        .collect();
    // Decided rows stay where they were, with their result.
    let mut rows: Vec<Suggestion> = pending.into_iter().filter(|s| filter.matches(s)).collect();
    for decided in results.keys() {
        if let Some(s) = store.get(decided)? {
            if s.property == id && s.state != SuggestionState::Pending {
                rows.push(s);
            }
        }
    }
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let total = rows.len();
    rows.truncate(MAX_ROWS);
    let can_decide = Controller::allows(u.role, Role::Approver);
    let now = crate::controller::now();
    let body = html! {
        p { a href="/console" { "← Overview" } }
        h1 { "Suggestions for " (name) " " span.muted { "(" (id) ")" } }
        @if let Some(n) = &flash.notice { p.notice role="status" { (n) } }
        (filters(&id, &filter, &kinds))
        p role="status" id="shown" {
            (total) " shown"
            @if total > MAX_ROWS { " (the first " (MAX_ROWS) "; narrow the search to see the rest)" }
        }
        form method="post" action=(format!("/console/properties/{id}/suggestions")) id="decide" {
            (csrf_field(&u))
            @if can_decide {
                div.actions {
                    label { input type="checkbox" id="select-all"; " Select the first " (MAX_APPROVALS) " shown" }
                    span id="selected" aria-live="polite" {}
                    button type="submit" name="decision" value="approve" { "Approve selected" }
                    button.secondary type="submit" name="decision" value="discard" { "Discard selected" }
                }
            } @else {
                p.muted { "You can see suggestions; deciding them needs the role approver." }
            }
            div.scroll {
                table.suggestions {
                    caption.visually-hidden { "Pending changes, one row per person" }
                    thead { tr {
                        th scope="col" { span.visually-hidden { "Select" } }
                        th scope="col" { "Person" } th scope="col" { "Unit" } th scope="col" { "Kind" }
                        th scope="col" { "Change" } th scope="col" { "Reason" } th scope="col" { "Since" }
                        th scope="col" { "Result" }
                    } }
                    tbody {
                        @for s in &rows { (row(s, results.get(&s.id), can_decide, now)) }
                    }
                }
            }
        }
        @if rows.is_empty() { p { "Nothing waits for review here." } }
    };
    Ok(page(&format!("Suggestions · {id}"), Some(&u), body))
}

fn filters(id: &str, f: &Filter, kinds: &std::collections::BTreeSet<String>) -> Markup {
    html! {
        form.filters method="get" action=(format!("/console/properties/{id}/suggestions")) role="search" {
            label { "Search " input type="search" name="q" id="q" value=(f.q) placeholder="name, unit, person id, reason"; }
            label { "Change "
                select name="colour" {
                    option value="" { "any" }
                    @for (v, text) in [("green", "grants"), ("red", "revocations"), ("mixed", "both"), ("grey", "no access change")] {
                        option value=(v) selected[f.colour == v] { (text) }
                    }
                }
            }
            label { "Kind "
                select name="kind" {
                    option value="" { "any" }
                    @for k in kinds { option value=(k) selected[&f.kind == k] { (k) } }
                }
            }
            button type="submit" { "Filter" }
        }
    }
}

fn row(
    s: &Suggestion,
    result: Option<&(String, Option<String>)>,
    can_decide: bool,
    now: i64,
) -> Markup {
    let pending = s.state == SuggestionState::Pending;
    let (state, error) = match result {
        Some((st, e)) => (Some(st.as_str()), e.clone()),
        None if !pending => (Some(s.state.as_str()), s.error.clone()),
        None => (None, None),
    };
    html! {
        tr class=(format!("row {}", s.colour.as_str())) data-id=(s.id) {
            td {
                @if can_decide && pending {
                    input type="checkbox" name="id" value=(s.id) aria-label=(format!("Select {}", s.name));
                }
            }
            td.person {
                a href=(format!("/console/people/{}/{}", seg(&s.property), seg(&s.person_id))) { strong { (s.name) } }
                br; span.muted { (s.person_id) }
            }
            td { (s.unit.as_deref().unwrap_or("—")) }
            td { (s.kind) }
            td {
                span.colour { (colour_words(s)) }
                ul.steps {
                    @for step in &s.steps {
                        @let class = match step.action.direction() { Direction::Grant => "grant", Direction::Revoke => "revoke" };
                        li class=(class) { (step.system) ": " (step.describe) }
                    }
                }
            }
            td { (s.reason) }
            td { (when(Some(s.created_at), now)) }
            td.result {
                @if let Some(st) = state {
                    span class=(format!("state {st}")) { (st) }
                    @if let Some(e) = error { div.error { (e) } }
                }
            }
        }
    }
}

fn colour_words(s: &Suggestion) -> &'static str {
    match s.colour {
        crate::store::Colour::Green => "grants access",
        crate::store::Colour::Red => "revokes access",
        crate::store::Colour::Mixed => "grants and revokes",
        crate::store::Colour::Grey => "no access change",
    }
}

pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let u: User = user(&state, &headers, Role::Approver)?;
    let fields = form_fields(&body);
    check_csrf(&u, &fields)?;
    known_property(&state, &id)?;
    let back = Redirect::to(&format!("/console/properties/{}/suggestions", seg(&id)));
    let ids: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.clone())
        .collect();
    let notice = |text: String| Flash {
        notice: Some(text),
        results: Vec::new(),
    };
    if ids.is_empty() {
        state.sessions.set_flash(
            &u,
            notice("Nothing was decided: select at least one person.".into()),
        );
        return Ok(back.into_response());
    }
    let ids = input::unique_ids(ids).map_err(|e| PageError::bad(e.message))?;
    let decision = field(&fields, "decision").unwrap_or("");
    let outcome = match decision {
        "approve" => state.controller.approve(&ids, &u.name).await.map(|r| {
            r.into_iter()
                .map(|(id, a)| (id, a.state, a.error))
                .collect::<Vec<_>>()
        }),
        "discard" => state.controller.discard(&ids, &u.name).map(|_| {
            ids.iter()
                .map(|i| (i.clone(), "discarded".to_string(), None))
                .collect()
        }),
        other => {
            return Err(PageError::bad(format!(
                "Unknown decision {other:?}: approve or discard."
            )))
        }
    };
    tracing::info!(actor = %u.name, property = %id, decision, count = ids.len(), "console decision");
    let flash = match outcome {
        Ok(results) => {
            let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, st, _) in &results {
                *by_state.entry(st.as_str()).or_default() += 1;
            }
            let counts: Vec<String> = by_state.iter().map(|(st, n)| format!("{n} {st}")).collect();
            Flash {
                notice: Some(format!(
                    "{} {}: {}. Each row shows its result below.",
                    if decision == "approve" {
                        "Approved"
                    } else {
                        "Discarded"
                    },
                    results.len(),
                    counts.join(", ")
                )),
                results,
            }
        }
        Err(e) => notice(format!("Nothing was decided: {e}")),
    };
    state.sessions.set_flash(&u, flash);
    Ok(back.into_response())
}
