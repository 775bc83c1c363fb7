//! Signing in and out. The form takes an API token (the same ones the API accepts) and opens a
//! session; the form itself carries a CSRF token checked against a short-lived cookie (double
//! submit), since no session exists yet. A wrong token gets the form again with a message, and
//! never says which part was wrong.

use super::session::{self, cookie, read_cookie, same, COOKIE, LIFETIME, SIGNIN_COOKIE};
use super::{check_csrf, field, form_fields, page, user, PageError, PageResult};
use crate::config::Role;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::html;
use std::time::{Duration, Instant};

use super::super::AppState;

/// How long the sign-in form stays valid.
const FORM_LIFETIME: Duration = Duration::from_secs(3600);

fn secure(state: &AppState) -> bool {
    !state.controller.config().listen.ip().is_loopback()
}

fn form_page(state: &AppState, message: Option<&str>, status: StatusCode) -> PageResult {
    let csrf = session::random_token();
    let body = html! {
        h1 { "Sign in" }
        p { "Sign in with the API token your operator gave you. It is exchanged for a session; the token is not kept in the browser." }
        @if let Some(m) = message {
            p.error role="alert" id="signin-error" { (m) }
        }
        form.signin method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { "API token" }
            input id="token" name="token" type="password" autocomplete="current-password" required autofocus;
            button type="submit" { "Sign in" }
        }
    };
    let mut r = page("Sign in", None, body);
    *r.status_mut() = status;
    let set = cookie(SIGNIN_COOKIE, &csrf, secure(state), FORM_LIFETIME);
    if let Ok(v) = set.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub async fn form(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if user(&state, &headers, Role::Viewer).is_ok() {
        return Ok(Redirect::to("/console").into_response());
    }
    form_page(&state, None, StatusCode::OK)
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let fields = form_fields(&body);
    let expected = read_cookie(&headers, SIGNIN_COOKIE);
    let csrf_ok = matches!(
        (field(&fields, "csrf"), expected.as_deref()),
        (Some(sent), Some(want)) if !want.is_empty() && same(sent, want)
    );
    if !csrf_ok {
        return form_page(
            &state,
            Some("The sign-in form expired or came from elsewhere (CSRF). Please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let token = field(&fields, "token").unwrap_or("").trim();
    if token.is_empty() || token.len() > 512 {
        return form_page(
            &state,
            Some("Enter your API token."),
            StatusCode::BAD_REQUEST,
        );
    }
    let config = state.controller.config();
    let Some(id) = state.sessions.open(&config, token, Instant::now()) else {
        tracing::info!("console sign-in refused: unknown token");
        return form_page(
            &state,
            Some("That token is not valid. Check it with your operator."),
            StatusCode::UNAUTHORIZED,
        );
    };
    if let Some(u) = state.sessions.user(&config, &id, Instant::now()) {
        tracing::info!(actor = %u.name, "console sign-in");
    }
    let mut r = Redirect::to("/console").into_response();
    let secure = secure(&state);
    for set in [
        cookie(COOKIE, &id, secure, LIFETIME),
        cookie(SIGNIN_COOKIE, "", secure, Duration::ZERO),
    ] {
        if let Ok(v) = set.parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(r)
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let u = match user(&state, &headers, Role::Viewer) {
        Ok(u) => u,
        Err(PageError::SignIn) => return Ok(Redirect::to("/console/sign-in").into_response()),
        Err(e) => return Err(e),
    };
    check_csrf(&u, &form_fields(&body))?;
    state.sessions.close(&u);
    tracing::info!(actor = %u.name, "console sign-out");
    let mut r = Redirect::to("/console/sign-in").into_response();
    if let Ok(v) = cookie(COOKIE, "", secure(&state), Duration::ZERO).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}
