//! Audit search: filter by time, property, person and action; the newest matching entries first;
//! export of the same filter as CSV or JSON lines; and the latest signed checkpoint when the log
//! is anchored (`audit.key`).

use super::{page, user, PageError, PageResult};
use crate::config::Role;
use crate::http::{input, parse_time, AppState};
use crate::store::{rfc3339, AuditEntry, AuditFilter, ExportFormat};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use maud::html;
use serde::Deserialize;
use std::collections::VecDeque;

/// Most entries the page shows (the newest); exports have no such bound.
pub const SHOWN: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    property: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    format: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl Search {
    fn filter(&self) -> Result<AuditFilter, PageError> {
        for (name, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("property", &self.property),
            ("person", &self.person),
            ("action", &self.action),
        ] {
            input::text(name, value, input::MAX_ID).map_err(|e| PageError::bad(e.message))?;
        }
        let time = |field: &str, text: &str| {
            opt(text)
                .map(|t| parse_time(field, &t))
                .transpose()
                .map_err(PageError::bad)
        };
        Ok(AuditFilter {
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
            property: opt(&self.property),
            person: opt(&self.person),
            action: opt(&self.action),
            after_seq: None,
            limit: None,
        })
    }

    /// The query string of the same search (for the export links).
    fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("from", &self.from),
                ("to", &self.to),
                ("property", &self.property),
                ("person", &self.person),
                ("action", &self.action),
            ])
            .finish()
    }
}

type Searched = Result<Query<Search>, axum::extract::rejection::QueryRejection>;

pub async fn show(State(state): State<AppState>, headers: HeaderMap, q: Searched) -> PageResult {
    let u = user(&state, &headers, Role::Viewer)?;
    let Query(search) = q.map_err(|e| PageError::bad(format!("Search: {e}")))?;
    let filter = search.filter()?;
    let log = state.controller.store.audit();
    let mut newest: VecDeque<AuditEntry> = VecDeque::with_capacity(SHOWN);
    let mut matched = 0usize;
    for entry in log.iter(&filter) {
        let entry = entry?;
        matched += 1;
        if newest.len() == SHOWN {
            newest.pop_front();
        }
        newest.push_back(entry);
    }
    let checkpoint = state.checkpoints.as_ref().map(|signer| {
        signer
            .current(crate::controller::now())
            .map(|c| (c.describe(), c.head.clone(), c.key.clone()))
            .map_err(|e| e.to_string())
    });
    let properties: Vec<String> = state
        .controller
        .config()
        .properties
        .keys()
        .cloned()
        .collect();
    let query = search.query();
    let body = html! {
        h1 { "Audit log" }
        @match &checkpoint {
            Some(Ok((describe, head, key))) => p.checkpoint {
                "Latest signed " (describe) ": head " code { (head) } ", key " code { (key) } "."
            },
            Some(Err(e)) => p.error { "The current checkpoint could not be signed: " (e) },
            None => p.muted { "This log is not anchored (no audit.key configured), so there is no signed checkpoint." },
        }
        form.filters method="get" action="/console/audit" role="search" {
            label { "From " input name="from" value=(search.from) placeholder="2026-01-31T00:00:00Z"; }
            label { "To " input name="to" value=(search.to) placeholder="RFC 3339 or Unix seconds"; }
            label { "Property "
                select name="property" {
                    option value="" { "any" }
                    @for p in &properties { option value=(p) selected[&search.property == p] { (p) } }
                }
            }
            label { "Person id " input name="person" value=(search.person); }
            label { "Action " input name="action" value=(search.action) placeholder="suggestion_approved"; }
            button type="submit" { "Search" }
        }
        p.exports {
            "Export this search: "
            a href=(format!("/console/audit/export?format=csv&{query}")) download { "CSV" }
            " · "
            a href=(format!("/console/audit/export?format=jsonl&{query}")) download { "JSON lines" }
        }
        p role="status" { (matched) " entries match" @if matched > SHOWN { "; the newest " (SHOWN) " are shown" } "." }
        div.scroll {
            table.audit {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { "Time" } th scope="col" { "Property" }
                    th scope="col" { "Person" } th scope="col" { "Action" } th scope="col" { "Outcome" }
                    th scope="col" { "What and why" } th scope="col" { "By" }
                } }
                tbody {
                    @for e in newest.iter().rev() {
                        tr class=(format!("outcome-{}", e.outcome.as_str())) {
                            td { (e.seq) }
                            td { (rfc3339(e.time)) }
                            td { (e.property.as_deref().unwrap_or("—")) }
                            td { (e.person_name.as_deref().unwrap_or("")) " " span.muted { (e.person_id.as_deref().unwrap_or("")) } }
                            td { (e.action) @if let Some(s) = &e.system { br; span.muted { (s) } } }
                            td { (e.outcome.as_str()) }
                            td { (e.object) @if !e.object.is_empty() { " — " } (e.reason)
                                 @if let Some(err) = &e.error { div.error { (err) } } }
                            td { (e.actor) }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Audit", Some(&u), body))
}

pub async fn export(State(state): State<AppState>, headers: HeaderMap, q: Searched) -> PageResult {
    user(&state, &headers, Role::Viewer)?;
    let Query(search) = q.map_err(|e| PageError::bad(format!("Search: {e}")))?;
    let filter = search.filter()?;
    let format: ExportFormat = search
        .format
        .parse()
        .map_err(|e| PageError::bad(format!("format: {e}")))?;
    let mut buf = Vec::new();
    state
        .controller
        .store
        .audit()
        .export(&filter, format, &mut buf)?;
    let name = match format {
        ExportFormat::Csv => "lockstep-audit.csv",
        ExportFormat::Jsonl => "lockstep-audit.jsonl",
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        buf,
    )
        .into_response())
}
