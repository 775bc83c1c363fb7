//! The portfolio overview: one card per property with its mode, last successful sync, the
//! pending suggestions (the alert a manager looks for), the guard (what it holds, and a release
//! button for admins), the health of each source and access system, and the people waiting for
//! activation. Also the guard release form's handler.

use super::{
    check_csrf, csrf_field, form_fields, page, role_name, user, when, PageError, PageResult,
};
use crate::config::Role;
use crate::controller::{Controller, PropertyStatus};
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let u = user(&state, &headers, Role::Viewer)?;
    let flash = state.sessions.take_flash(&u);
    let c = &state.controller;
    let config = c.config();
    let now = crate::controller::now();
    let statuses = c.status();
    let pending: usize = statuses.values().map(|s| s.pending_suggestions).sum();
    let admin = Controller::allows(u.role, Role::Admin);
    let body = html! {
        h1 { "Portfolio " (config.portfolio) }
        @if let Some(notice) = flash.and_then(|f| f.notice) {
            p.notice role="status" { (notice) }
        }
        @if !c.is_ready() {
            p.warn role="status" { "The first full cycle has not finished yet; figures may be incomplete." }
        }
        p.summary {
            (config.properties.len()) " properties · "
            @if pending > 0 { strong.alert { (pending) " suggestions waiting for review" } }
            @else { "no suggestions waiting" }
        }
        div.cards {
            @for (id, s) in &statuses {
                (card(id, config.properties.get(id).map(|p| p.name.as_str()).unwrap_or(id), s, now, admin, &u))
            }
        }
    };
    Ok(page("Overview", Some(&u), body))
}

fn card(
    id: &str,
    name: &str,
    s: &PropertyStatus,
    now: i64,
    admin: bool,
    u: &super::User,
) -> Markup {
    let heading = format!("property-{id}");
    html! {
        section.card id=(heading.clone()) aria-labelledby=(format!("{heading}-title")) {
            h2 id=(format!("{heading}-title")) { (name) " " span.muted { "(" (id) ")" } }
            @if s.pending_suggestions > 0 {
                p.alert {
                    a href=(format!("/console/properties/{id}/suggestions")) {
                        (s.pending_suggestions) " suggestion" @if s.pending_suggestions != 1 { "s" } " waiting for review"
                    }
                }
            } @else {
                p { a href=(format!("/console/properties/{id}/suggestions")) { "No suggestions waiting" } }
            }
            dl {
                dt { "Mode" } dd { (s.mode.replace('_', " ")) }
                dt { "Last successful sync" } dd.last-sync { (when(s.last_success, now)) }
                @if let Some(r) = &s.last_result {
                    dt { "Last cycle" } dd { (r) @if let Some(e) = &s.last_error { " — " (e) } }
                }
                dt { "Waiting for activation" } dd { (s.waiting_activation) " people" }
                @if s.source_stale { dt { "Sources" } dd.bad { "stale: a source has not answered in time; access is kept as it is" } }
            }
            (guard(id, s, admin, u))
            h3 { "Health" }
            ul.health {
                @for (connector, h) in &s.health {
                    @let failing = s.failing.get(connector);
                    @let ok = failing.is_none() && h.consecutive_failures == 0 && !h.quarantined;
                    li class=(if ok { "ok" } else { "bad" }) {
                        strong { (connector) } ": "
                        @if ok { "healthy" }
                        @else if h.quarantined { "quarantined after " (h.consecutive_failures) " failures, probed slowly" }
                        @else { "failing" }
                        @if let Some(e) = failing.or(h.last_error.as_ref()).filter(|_| !ok) { " — " (e) }
                    }
                }
            }
            @if !s.problems.is_empty() {
                h3 { "People the source could not describe" }
                ul { @for p in &s.problems { li { (p) } } }
            }
        }
    }
}

fn guard(id: &str, s: &PropertyStatus, admin: bool, u: &super::User) -> Markup {
    html! {
        @if s.guard_tripped {
            div.guard role="alert" {
                h3 { "Safety guard tripped" }
                p { "Revocations are held: " (s.guard_detail.as_deref().unwrap_or("more revocations than allowed")) ". Fix the source, or release the guard to let the next cycle carry them out." }
                @if admin {
                    form method="post" action=(format!("/console/properties/{id}/guard/release")) {
                        (csrf_field(u))
                        button.danger type="submit" { "Release the guard for " (id) }
                    }
                } @else {
                    p.muted.guard-needs-admin { "Releasing the guard needs an admin; you are " (role_name(u.role)) "." }
                }
            }
        } @else {
            p.ok { "Safety guard: clear" }
        }
    }
}

pub async fn release(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let u = user(&state, &headers, Role::Admin)?;
    check_csrf(&u, &form_fields(&body))?;
    if !state.controller.config().properties.contains_key(&id) {
        return Err(PageError::Status(
            StatusCode::NOT_FOUND,
            format!("No property named {id:?}."),
        ));
    }
    state.controller.release_guard(&id, &u.name)?;
    tracing::info!(actor = %u.name, property = %id, "guard released from the console");
    let _ = state
        .events
        .send(crate::app::Event::Trigger(Some(id.clone())));
    state.sessions.set_flash(
        &u,
        super::session::Flash {
            notice: Some(format!(
                "Guard of {id} released: the next cycle carries out its revocations."
            )),
            results: Vec::new(),
        },
    );
    Ok(Redirect::to("/console").into_response())
}
