//! Console routes with `oneshot` (no socket): sign-in and out, cookies, CSRF, roles, escaping,
//! and the policy that allows no inline script.

use crate::http::tests::state;
use crate::http::{router, AppState};
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

mod access;
mod people;

pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: String,
}

pub(super) async fn send(
    state: &AppState,
    method: Method,
    path: &str,
    cookies: &str,
    form: &str,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::from(form.to_string())).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).to_string(),
    }
}

fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn value(cookie: &str) -> &str {
    cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map_or("", |(_, v)| v)
}

pub(super) fn hidden_csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    body[at..].split('"').next().unwrap_or_default().to_string()
}

/// Signs in with `token`; returns the `Cookie` header of the session.
pub(super) async fn sign_in(state: &AppState, token: &str) -> String {
    let form = send(state, Method::GET, "/console/sign-in", "", "").await;
    let signin = set_cookie(&form, "lockstep_signin").expect("sign-in cookie");
    let csrf = hidden_csrf(&form.body);
    assert_eq!(
        value(&signin),
        csrf,
        "double submit: cookie and field agree"
    );
    let a = send(
        state,
        Method::POST,
        "/console/sign-in",
        &format!("lockstep_signin={csrf}"),
        &format!("csrf={csrf}&token={token}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let session = set_cookie(&a, "lockstep_session").expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    assert!(
        !session.contains("Secure"),
        "loopback listener: no Secure flag"
    );
    format!("lockstep_session={}", value(&session))
}

#[tokio::test]
async fn the_entry_leads_to_sign_in_and_pages_allow_no_inline_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let root = send(&state, Method::GET, "/", "", "").await;
    assert_eq!(root.status, StatusCode::SEE_OTHER);
    assert_eq!(root.headers[header::LOCATION], "/console");
    for path in [
        "/console",
        "/console/audit",
        "/console/properties/p1/suggestions",
    ] {
        let a = send(&state, Method::GET, path, "", "").await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(a.headers[header::LOCATION], "/console/sign-in", "{path}");
    }
    let form = send(&state, Method::GET, "/console/sign-in", "", "").await;
    assert_eq!(form.status, StatusCode::OK);
    let csp = form.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let lower = form.body.to_lowercase();
    assert!(
        !lower.contains("<style") && !lower.contains(" style="),
        "no inline style"
    );
    assert_eq!(
        lower.matches("<script").count(),
        lower.matches("<script src=").count()
    );
    for handler in ["onclick", "onload", "onsubmit", "javascript:"] {
        assert!(!lower.contains(handler), "{handler}");
    }
    assert!(
        form.body.contains("<label for=\"token\">"),
        "the token field is labelled"
    );
    let js = send(&state, Method::GET, "/console/assets/console.js", "", "").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/javascript"));
    let missing = send(&state, Method::GET, "/console/assets/x.js", "", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_a_valid_api_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let no_csrf = send(
        &state,
        Method::POST,
        "/console/sign-in",
        "",
        "token=viewer-token",
    )
    .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(no_csrf.body.contains("CSRF"), "{}", no_csrf.body);
    let forged = send(
        &state,
        Method::POST,
        "/console/sign-in",
        "lockstep_signin=abc",
        "csrf=abd&token=viewer-token",
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = send(
        &state,
        Method::POST,
        "/console/sign-in",
        "lockstep_signin=abc",
        "csrf=abc&token=not-a-token",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("not valid"), "{}", wrong.body);
    assert!(set_cookie(&wrong, "lockstep_session").is_none());
    assert!(
        !wrong.body.contains("not-a-token"),
        "a token is never echoed"
    );

    let cookie = sign_in(&state, "viewer-token").await;
    let overview = send(&state, Method::GET, "/console", &cookie, "").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert!(overview.body.contains("Portfolio test") && overview.body.contains("v (viewer)"));
    assert_eq!(overview.headers[header::CACHE_CONTROL], "no-store");

    // Sign-out is a form like any other: refused without its CSRF token, then ends the session.
    let refused = send(&state, Method::POST, "/console/sign-out", &cookie, "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let csrf = hidden_csrf(&overview.body);
    let out = send(
        &state,
        Method::POST,
        "/console/sign-out",
        &cookie,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&out, "lockstep_session").is_some_and(|c| c.contains("Max-Age=0")));
    let after = send(&state, Method::GET, "/console", &cookie, "").await;
    assert_eq!(
        after.headers[header::LOCATION],
        "/console/sign-in",
        "the session is gone server-side"
    );
    assert!(state.sessions.is_empty());
}

#[tokio::test]
async fn roles_csrf_and_escaping_on_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let viewer = sign_in(&state, "viewer-token").await;
    let approver = sign_in(&state, "approver-token").await;
    let admin = sign_in(&state, "admin-token").await;
    let csrf_of = |body: &str| hidden_csrf(body);
    let approver_csrf = csrf_of(
        &send(&state, Method::GET, "/console", &approver, "")
            .await
            .body,
    );
    let admin_csrf = csrf_of(&send(&state, Method::GET, "/console", &admin, "").await.body);

    for (cookie, csrf) in [(&viewer, "x"), (&approver, approver_csrf.as_str())] {
        let a = send(
            &state,
            Method::POST,
            "/console/properties/p1/guard/release",
            cookie,
            &format!("csrf={csrf}"),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        assert!(a.body.contains("needs the role admin"), "{}", a.body);
    }
    let a = send(
        &state,
        Method::POST,
        "/console/properties/p1/guard/release",
        &admin,
        "csrf=wrong",
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "an admin without the form's token"
    );
    let a = send(
        &state,
        Method::POST,
        "/console/properties/p1/guard/release",
        &admin,
        &format!("csrf={admin_csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.body.contains("No property named &quot;p1&quot;"),
        "{}",
        a.body
    );
    assert!(a.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));

    let a = send(
        &state,
        Method::POST,
        "/console/properties/p1/suggestions",
        &viewer,
        "csrf=x&id=a&decision=approve",
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "viewers do not decide");
    let a = send(
        &state,
        Method::GET,
        "/console/properties/%3Cscript%3Ealert(1)%3C%2Fscript%3E/suggestions",
        &viewer,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        !a.body.contains("<script>alert") && a.body.contains("&lt;script&gt;"),
        "{}",
        a.body
    );

    let a = send(
        &state,
        Method::GET,
        "/console/audit?from=yesterday",
        &viewer,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("from"), "{}", a.body);
    let a = send(
        &state,
        Method::GET,
        "/console/audit/export?format=csv&action=%3Cb%3E",
        &viewer,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap_or("")
        .contains("lockstep-audit.csv"));
    let a = send(
        &state,
        Method::GET,
        "/console/audit/export?format=xml",
        &viewer,
        "",
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}
