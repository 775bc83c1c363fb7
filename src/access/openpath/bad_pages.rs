//! Listings whose pages do not add up: a hand-scripted server on 127.0.0.1:0 answers
//! `listGroups` with each broken shape, and the observation must fail naming the request.

use super::tests::{config, scope, within};
use super::Openpath;
use crate::access::AccessSystem;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Serves a login and `GET /orgs/1/groups`, whose page at each offset is `pages(offset)`.
async fn serve(pages: fn(u64) -> Value) -> String {
    let login = || async {
        let body = json!({"data": {"token": "jwt", "expiresAt": null}});
        (StatusCode::CREATED, Json(body))
    };
    let groups = move |Query(q): Query<HashMap<String, String>>| async move {
        let offset = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        Json(pages(offset))
    };
    let router = Router::new()
        .route("/auth/login", post(login))
        .route("/orgs/1/groups", get(groups));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

fn g(id: u64) -> Value {
    json!({"id": id, "name": format!("G{id}")})
}

/// The error of observing with pages of 2 groups.
async fn observe_error(pages: fn(u64) -> Value) -> (String, String) {
    let base = serve(pages).await;
    let op = Openpath::new("openpath-test", &config(&base, "pw", 1), None)
        .expect("connector")
        .with_page_size(2);
    let err = op.observe(&scope(&[])).await.expect_err("must fail");
    (err.kind().to_string(), err.to_string())
}

#[tokio::test]
async fn a_page_without_total_count_is_a_bad_response() {
    within(async {
        let (kind, text) = observe_error(|_| json!({"data": [g(1)]})).await;
        assert_eq!(kind, "bad_response");
        assert!(
            text.contains("GET /orgs/1/groups?limit=2&offset=0"),
            "{text}"
        );
        assert!(text.contains("totalCount"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_total_that_changes_between_pages_is_incomplete() {
    within(async {
        let (kind, text) = observe_error(|offset| match offset {
            0 => json!({"totalCount": 4, "data": [g(1), g(2)]}),
            _ => json!({"totalCount": 5, "data": [g(3), g(4)]}),
        })
        .await;
        assert_eq!(kind, "incomplete");
        assert!(text.contains("offset=2"), "{text}");
        assert!(text.contains("totalCount changed from 4 to 5"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_row_listed_twice_is_incomplete() {
    within(async {
        let (kind, text) = observe_error(|offset| match offset {
            0 => json!({"totalCount": 4, "data": [g(1), g(2)]}),
            _ => json!({"totalCount": 4, "data": [g(2), g(3)]}),
        })
        .await;
        assert_eq!(kind, "incomplete");
        assert!(text.contains("group 2 listed twice"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn a_short_page_before_the_total_is_incomplete() {
    within(async {
        let (kind, text) = observe_error(|offset| match offset {
            0 => json!({"totalCount": 5, "data": [g(1), g(2)]}),
            _ => json!({"totalCount": 5, "data": [g(3)]}),
        })
        .await;
        assert_eq!(kind, "incomplete");
        assert!(
            text.contains("a page of 1 at offset 2 ended it at 3 of 5"),
            "{text}"
        );
    })
    .await;
}

#[tokio::test]
async fn more_rows_than_the_total_or_the_limit_fail() {
    within(async {
        let (kind, text) = observe_error(|_| json!({"totalCount": 1, "data": [g(1), g(2)]})).await;
        assert_eq!(kind, "incomplete");
        assert!(
            text.contains("2 rows listed but totalCount says 1"),
            "{text}"
        );
        let (kind, text) =
            observe_error(|_| json!({"totalCount": 3, "data": [g(1), g(2), g(3)]})).await;
        assert_eq!(kind, "bad_response");
        assert!(text.contains("holds 3 rows for a limit of 2"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn an_id_that_is_not_a_number_is_a_bad_response() {
    within(async {
        let (kind, text) =
            observe_error(|_| json!({"totalCount": 1, "data": [{"id": "1", "name": "G"}]})).await;
        assert_eq!(kind, "bad_response");
        assert!(text.contains("not an Openpath group page"), "{text}");
    })
    .await;
}
