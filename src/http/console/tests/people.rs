//! The people pages: search, a person's page, and the approver actions with their checks.

use super::{hidden_csrf, send, sign_in};
use crate::http::console::seg;
use crate::http::tests::state;
use axum::http::{header, Method, StatusCode};

#[tokio::test]
async fn people_actions_need_an_approver_a_form_token_and_valid_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = state(dir.path());
    let viewer = sign_in(&state, "viewer-token").await;
    let approver = sign_in(&state, "approver-token").await;
    let page = send(&state, Method::GET, "/console/people?q=nobody", &viewer, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("0 found"), "{}", page.body);
    assert!(
        !page.body.contains("Set override"),
        "viewers get no action forms"
    );

    let a = send(
        &state,
        Method::POST,
        "/console/people/p1/r1/sync",
        &viewer,
        "csrf=x",
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "viewers do not act");
    let csrf = hidden_csrf(
        &send(&state, Method::GET, "/console/people", &approver, "")
            .await
            .body,
    );
    let a = send(
        &state,
        Method::POST,
        "/console/people/p1/r1/sync",
        &approver,
        "csrf=nope",
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::FORBIDDEN,
        "the form's token is checked"
    );
    let a = send(
        &state,
        Method::POST,
        "/console/people/p1/r1/sync",
        &approver,
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "no such property");
    assert!(a.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    let a = send(&state, Method::GET, "/console/people/p1/r1", &viewer, "").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = send(&state, Method::GET, "/console/people?q=%01", &viewer, "").await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "control characters are refused"
    );
}

#[test]
fn ids_are_percent_encoded_as_path_segments() {
    assert_eq!(seg("p1-00001"), "p1-00001");
    assert_eq!(seg("a b/c?d&e\"<"), "a%20b%2Fc%3Fd%26e%22%3C");
    assert_eq!(seg("é"), "%C3%A9");
}
