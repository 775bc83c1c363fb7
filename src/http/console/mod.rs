//! The console for property managers, served by the daemon under `/console` (and `/`, which
//! leads there): sign-in, portfolio overview, suggestions per property, audit search and export.
//!
//! Pages are rendered on the server with `maud` (every interpolated value is HTML-escaped).
//! Every form works without script; the one small script (`assets.rs`: select-all, live filter)
//! is a static file under `script-src 'self'`, and the policy allows no inline script or style.
//! Every state-changing form is a POST carrying the session's CSRF token, compared in constant
//! time; roles are those of the API (viewers see, approvers decide, admins release guards).

mod access;
mod assets;
mod audit;
mod overview;
mod people;
pub mod session;
mod signin;
mod suggestions;

use super::AppState;
use crate::config::Role;
use crate::controller::Controller;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
pub use session::Sessions;
use session::User;
use std::time::Instant;

/// The console pages' policy: scripts and styles only from this origin, forms only to it.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(overview::show))
        .route("/console/sign-in", get(signin::form).post(signin::submit))
        .route("/console/sign-out", post(signin::sign_out))
        .route(
            "/console/properties/{id}/suggestions",
            get(suggestions::show).post(suggestions::decide),
        )
        .route(
            "/console/properties/{id}/guard/release",
            post(overview::release),
        )
        .route("/console/people", get(people::search))
        .route("/console/people/{property}/{id}", get(people::person))
        .route("/console/people/{property}/{id}/{what}", post(people::act))
        .route("/console/audit", get(audit::show))
        .route("/console/audit/export", get(audit::export))
        .route("/console/assets/{file}", get(assets::serve))
}

/// A page that could not be shown: a status and a message in words, rendered as HTML.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to the sign-in form.
    SignIn,
    Status(StatusCode, String),
}

impl PageError {
    pub fn bad(message: impl Into<String>) -> PageError {
        PageError::Status(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<crate::controller::RequestError> for PageError {
    fn from(e: crate::controller::RequestError) -> PageError {
        let status = super::ApiError::from(e);
        PageError::Status(status.status, status.message)
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> PageError {
        PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => Redirect::to("/console/sign-in").into_response(),
            PageError::Status(status, message) => {
                let title = status.canonical_reason().unwrap_or("Error");
                let body = html! {
                    h1 { (title) }
                    p.error role="alert" { (message) }
                    p { a href="/console" { "Back to the overview" } }
                };
                let mut r = page(title, None, body);
                *r.status_mut() = status;
                r
            }
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// The signed-in user of a request, with at least the role `need`.
pub fn user(state: &AppState, headers: &HeaderMap, need: Role) -> Result<User, PageError> {
    let id = session::read_cookie(headers, session::COOKIE).ok_or(PageError::SignIn)?;
    let config = state.controller.config();
    let user = state
        .sessions
        .user(&config, &id, Instant::now())
        .ok_or(PageError::SignIn)?;
    if !Controller::allows(user.role, need) {
        return Err(PageError::Status(
            StatusCode::FORBIDDEN,
            format!(
                "Refused: you are signed in as {} with the role {}; this needs the role {}.",
                user.name,
                role_name(user.role),
                role_name(need)
            ),
        ));
    }
    Ok(user)
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Approver => "approver",
        Role::Admin => "admin",
    }
}

/// The fields of a form body, in order (repeated keys kept).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Refuses a form whose CSRF token is missing or is not this session's.
pub fn check_csrf(user: &User, fields: &[(String, String)]) -> Result<(), PageError> {
    match field(fields, "csrf") {
        Some(t) if session::same(t, &user.csrf) => Ok(()),
        _ => Err(PageError::Status(
            StatusCode::FORBIDDEN,
            "Refused: the form's security token is missing or out of date (CSRF). Reload the page and try again.".into(),
        )),
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(user: &User) -> Markup {
    html! { input type="hidden" name="csrf" value=(user.csrf); }
}

/// A whole page: the layout around `body`, with the console's CSP and no caching.
pub fn page(title: &str, user: Option<&User>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Lockstep" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "Lockstep" }
                    @if let Some(u) = user {
                        nav aria-label="Main" {
                            a href="/console" { "Overview" }
                            a href="/console/people" { "People" }
                            a href="/console/audit" { "Audit" }
                        }
                        form.signout method="post" action="/console/sign-out" {
                            (csrf_field(u))
                            span.who { (u.name) " (" (role_name(u.role)) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" { (body) }
            }
        }
    };
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(markup.into_string()),
    )
        .into_response()
}

/// A value as one URL path segment or query value: unreserved characters kept, the rest
/// percent-encoded (ids come from sources and may hold anything printable).
pub fn seg(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How long ago a time was, with the exact time (RFC 3339, UTC) as its machine-readable value
/// and tooltip.
pub fn when(ts: Option<crate::model::Timestamp>, now: crate::model::Timestamp) -> Markup {
    match ts {
        None => html! { "never" },
        Some(t) => {
            let exact = crate::store::rfc3339(t);
            html! { time datetime=(exact) title=(exact) { (ago(now - t)) } }
        }
    }
}

pub fn ago(secs: i64) -> String {
    match secs {
        s if s < 0 => "in the future".into(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests;
