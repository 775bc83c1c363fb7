//! Golden fixtures: every parser of a Brivo answer fed bodies written by hand from the fields and
//! "Success 200" / error examples of Brivo's docs (brivo-apidocs, section named on each), not
//! bodies from our simulator. Values follow the docs' examples; prose is not copied.

use super::tests::{config, connector, scope, within};
use super::wire::{self, Credential, Group, Member, User};
use crate::access::{AccessError, AccessSystem};
use crate::model::Window;
use crate::net::{error_message, Gateway, NetError, Verdict, MASHERY_ERROR_CODE};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// OAuth2 Tokens - An example token response.
const TOKEN: &str =
    r#"{"access_token":"ACCESS","token_type":"bearer","refresh_token":"REFRESH","expires_in":60}"#;

/// User - List Users, Success-Response (one user with two emails and two phone numbers).
const USERS: &str = r#"{"data":[{"id":8784984,"firstName":"John","lastName":"Doe",
 "created":"2023-04-11T01:35:12Z","updated":"2024-11-25T07:08:24Z","suspended":false,
 "bleTwoFactorExempt":false,"customFields":[],
 "emails":[{"address":"test@test.com","type":"Work"},{"address":"hometest@test.com","type":"Home"}],
 "phoneNumbers":[{"type":"Work","number":"1234567890"},{"type":"Home","number":"9876543210"}]}],
 "offset":0,"pageSize":20,"count":1}"#;

/// Group - Group Listing, Success-Response.
const GROUPS: &str =
    r#"{"data":[{"id":442211,"name":"Staff"}],"offset":0,"pageSize":20,"count":1}"#;

/// Group - List Users within Group, Success-Response (a listing's slice of the user).
const MEMBERS: &str = r#"{"data":[{"id":442211,"externalId":"Star Lord","firstName":"Peter",
 "middleName":"Jason","lastName":"Quill","suspended":false}],"offset":0,"pageSize":20,"count":1}"#;

/// User - Retrieve Assigned Credentials, Success-Response: `{data, count}` only; a card and a
/// PIN, the second with an `effectiveFrom`.
const CREDENTIALS: &str = r#"{"data":[
 {"id":38981,"credentialFormat":{"id":100,"name":"HID 26 bit Card"},"referenceId":"329",
  "encodedCredential":"28c0293","fieldValues":[{"value":"329","credentialFieldId":1,
  "name":"acs.cards.format.card_number"}],"size":26,"accountId":5022},
 {"id":611729,"credentialFormat":{"id":2,"name":"PIN Code"},"encodedCredential":"23354",
  "fieldValues":[],"size":0,"accountId":5022,"effectiveFrom":"2016-05-13T04:00:00Z"}],
 "count":2}"#;

/// User - Retrieve by external id (and Create new user), Success 200 fields.
const USER: &str = r#"{"id":442211,"externalId":"Star Lord","firstName":"Peter","middleName":"Jason",
 "lastName":"Quill","pin":"5678","effectiveFrom":"2015-04-14T18:17:49Z",
 "effectiveTo":"2020-12-31T23:59:59Z","suspended":false,"created":"2010-06-15T04:00:00Z",
 "updated":"2018-03-14T04:00:00Z","bleTwoFactorExempt":true,
 "userImage":[{"id":5678,"uri":"http://image.example"}],
 "customFields":[{"id":222,"fieldType":"TEXT","fieldName":"species","value":"human"}],
 "emails":[{"address":"peter.quill@brivo.com","type":"home"}],
 "phoneNumbers":[{"number":"(541) 754-3010","type":"home"}]}"#;

#[test]
fn the_documented_token_answer_parses() {
    let t = wire::parse_token(TOKEN.as_bytes()).expect("token");
    assert_eq!(t.access_token, "ACCESS");
    assert_eq!(t.refresh_token.as_deref(), Some("REFRESH"));
    assert_eq!(t.lifetime(Duration::ZERO), Duration::from_secs(60));
}

#[test]
fn the_documented_pages_parse() {
    let users = wire::parse_page::<User>("user", 0, USERS.as_bytes()).expect("users");
    assert_eq!((users.count, users.offset), (1, Some(0)));
    let john = users.data.into_iter().next().expect("one").into_actual();
    assert_eq!(
        (john.system_id.as_str(), john.name.as_str()),
        ("8784984", "John Doe")
    );
    assert_eq!(john.email.as_deref(), Some("test@test.com"));
    assert_eq!(john.external_id, None, "null fields are omitted, not null");
    let groups = wire::parse_page::<Group>("group", 0, GROUPS.as_bytes()).expect("groups");
    assert_eq!(groups.data[0].id.text(), "442211");
    assert_eq!(groups.data[0].name, "Staff");
    let members = wire::parse_page::<Member>("group member", 0, MEMBERS.as_bytes());
    assert_eq!(members.expect("members").data[0].id.text(), "442211");
    let creds = wire::parse_page::<Credential>("credential", 0, CREDENTIALS.as_bytes());
    let creds = creds.expect("short envelope");
    assert_eq!(creds.count, 2);
    assert_eq!(creds.offset, None);
    let kinds: Vec<String> = creds.data.iter().map(Credential::kind).collect();
    assert_eq!(kinds, ["HID 26 bit Card", "PIN Code"]);
}

#[test]
fn the_documented_user_parses() {
    let user: User = wire::parse("user", USER.as_bytes()).expect("user");
    let user = user.into_actual();
    assert_eq!(user.system_id, "442211");
    assert_eq!(user.external_id.as_deref(), Some("Star Lord"));
    assert_eq!(user.name, "Peter Jason Quill");
    assert_eq!(user.email.as_deref(), Some("peter.quill@brivo.com"));
}

/// User - Create new user, User - Patch user and User - Update user all answer the user with
/// `"pin": "5678"` and its window; the Patch example differs in its first name.
#[test]
fn the_documented_user_answers_give_the_pin_window_and_drop_the_digits() {
    let patched = USER.replace("\"Peter\"", "\"Changed Peter\"");
    for body in [USER, patched.as_str()] {
        let user: User = wire::parse("user", body.as_bytes()).expect("user");
        assert!(!format!("{user:?}").contains("5678"), "{user:?}");
        let actual = user.into_actual();
        let window = Window {
            from: Some(1_429_035_469),
            until: Some(1_609_459_199),
        };
        assert_eq!(actual.pin, Some(window));
        assert!(!format!("{actual:?}").contains("5678"));
    }
    // User - List Users' example holds no PIN.
    let users = wire::parse_page::<User>("user", 0, USERS.as_bytes()).expect("users");
    assert_eq!(
        users
            .data
            .into_iter()
            .next()
            .expect("one")
            .into_actual()
            .pin,
        None
    );
    // A PIN without its dates is valid without bounds.
    let bare = r#"{"id":1,"firstName":"A","lastName":"B","pin":"5678"}"#;
    let bare: User = wire::parse("user", bare.as_bytes()).expect("bare");
    assert_eq!(bare.into_actual().pin, Some(Window::OPEN));
}

/// A body that fails to parse is quoted in the error, but never its PINs, whatever their type.
#[test]
fn a_user_body_off_its_shape_never_quotes_the_pin() {
    let bad_date = USER.replace("2015-04-14T18:17:49Z", "yesterday");
    let numeric = USER.replace("\"5678\"", "5678");
    let not_json = r#"{"id":1,"pin":"5678","#;
    for body in [bad_date.as_str(), numeric.as_str(), not_json] {
        let err = wire::parse::<User>("user", body.as_bytes()).expect_err("bad");
        assert!(!err.contains("5678"), "{err}");
    }
    let page = format!(r#"{{"data":[{bad_date}],"offset":0,"count":"one"}}"#);
    let err = wire::parse_page::<User>("user", 0, page.as_bytes()).expect_err("bad page");
    assert!(!err.contains("5678"), "{err}");
}

/// The body that clears a PIN (User - Update user) is the user (User - Retrieve by id) less
/// the PIN's fields and what Brivo answers but does not take.
#[test]
fn clearing_sends_the_user_back_without_its_pin() {
    let user: serde_json::Value = serde_json::from_str(USER).expect("json");
    let body = wire::without_pin(user).expect("an object");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bleTwoFactorExempt",
            "emails",
            "externalId",
            "firstName",
            "lastName",
            "middleName",
            "phoneNumbers"
        ]
    );
    assert_eq!(wire::format_date(1_429_035_469), "2015-04-14T18:17:49Z");
    assert_eq!(wire::parse_date("2020-12-31T23:59:59Z"), Ok(1_609_459_199));
}

#[test]
fn bodies_off_their_documented_shape_say_what_was_wrong() {
    let no_count = r#"{"data":[{"id":1,"name":"Staff"}],"offset":0,"pageSize":20}"#;
    let err = wire::parse_page::<Group>("group", 0, no_count.as_bytes()).expect_err("no count");
    assert!(
        err.contains("Brivo group page") && err.contains("count"),
        "{err}"
    );
    let moved = wire::parse_page::<Group>("group", 100, GROUPS.as_bytes()).expect_err("offset");
    assert!(err_has(&moved, &["offset 0", "offset 100"]), "{moved}");
    let no_id = r#"{"data":[{"name":"Staff"}],"offset":0,"count":1}"#;
    let err = wire::parse_page::<Group>("group", 0, no_id.as_bytes()).expect_err("no id");
    assert!(err.contains("id"), "{err}");
    let mac = TOKEN.replace("bearer", "mac");
    assert!(wire::parse_token(mac.as_bytes())
        .expect_err("mac")
        .contains("token_type"));
    let empty = TOKEN.replace("ACCESS", "");
    assert!(wire::parse_token(empty.as_bytes()).is_err());
}

fn err_has(text: &str, parts: &[&str]) -> bool {
    parts.iter().all(|p| text.contains(p))
}

/// Response Codes - Error codes and each operation's Error-Response examples.
#[test]
fn the_documented_error_bodies_give_their_message() {
    let cases = [
        (
            r#"{"code":400,"message":"Invalid criteria provided"}"#,
            "Invalid criteria provided",
        ),
        (
            r#"{"code":404,"message":"Group not found"}"#,
            "Group not found",
        ),
        (
            r#"{"code":404,"message":"User not found"}"#,
            "User not found",
        ),
        (
            r#"{"error":"invalid_grant","error_description":"Bad credentials"}"#,
            "Bad credentials",
        ),
        (
            r#"{"status":401,"error":"Unauthorized","message":"Bad credentials","path":"/oauth/token"}"#,
            "Bad credentials",
        ),
        (
            r#"{"error":"unauthorized","error_description":"Full authentication is required to access this resource"}"#,
            "Full authentication is required to access this resource",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(error_message(body.as_bytes()), message);
    }
}

/// Response Codes - Error codes (403 Developer Inactive, 596) and VENDORS.md "Mashery".
#[test]
fn the_gateway_pages_are_classified() {
    let verdict = |status: u16, code: Option<&'static str>, body: &str| {
        let mut headers = HeaderMap::new();
        if let Some(code) = code {
            headers.insert(MASHERY_ERROR_CODE, code.parse().expect("header"));
        }
        let status = StatusCode::from_u16(status).expect("status");
        Gateway::Mashery.verdict(status, &headers, &error_message(body.as_bytes()))
    };
    let qps = Some("ERR_403_DEVELOPER_OVER_QPS");
    assert_eq!(
        verdict(403, qps, "<h1>Developer Over Qps</h1>"),
        Verdict::Throttled
    );
    let inactive = Some("ERR_403_DEVELOPER_INACTIVE");
    assert_eq!(
        verdict(403, inactive, "<h1>Developer Inactive</h1>"),
        Verdict::Config
    );
    assert_eq!(
        verdict(596, None, "<h1>596 Service Not Found</h1>"),
        Verdict::Config
    );
    let denied = r#"{"code":403,"message":"You are not allowed to perform that action"}"#;
    assert_eq!(verdict(403, None, denied), Verdict::Auth);
}

/// Group - Assign User to Group's two 400 examples and its 404, as the connector reports them.
#[test]
fn the_documented_assignment_refusals_become_per_person_errors() {
    let b = connector(&config("http://127.0.0.1:9", "k", "s", "p"));
    let status = |status: u16, body: &str| NetError::Status {
        system: "brivo-test".into(),
        method: Method::PUT,
        path: "/v1/api/groups/76336/users/442211".into(),
        status,
        message: error_message(body.as_bytes()),
    };
    let linked = r#"{"code":400,"message":"User cannot be assigned to the group as its credentials already exist in a linked group"}"#;
    let err = b.assignment_refused("442211", "76336", status(400, linked));
    assert!(matches!(err, AccessError::Rejected { .. }), "{err}");
    assert!(
        err_has(&err.to_string(), &["442211", "76336", "linked group"]),
        "{err}"
    );
    let invalid = r#"{"code":400,"message":"Invalid criteria provided"}"#;
    let err = b.assignment_refused("442211", "76336", status(400, invalid));
    assert_eq!(err.kind(), "rejected", "{err}");
    let missing = r#"{"code":404,"message":"Group not found"}"#;
    let err = b.assignment_refused("442211", "76336", status(404, missing));
    assert!(matches!(err, AccessError::NotFound { .. }), "{err}");
    assert!(
        err_has(&err.to_string(), &["group 76336", "Group not found"]),
        "{err}"
    );
}

/// The connector end to end against a server that answers with the documented examples.
#[tokio::test]
async fn observe_reads_the_documented_examples() {
    within(async {
        use axum::routing::{get, post};
        crate::net::install_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let json = |body: &'static str| {
            move || async move { ([("content-type", "application/json")], body) }
        };
        let router = axum::Router::new()
            .route("/oauth/token", post(json(TOKEN)))
            .route("/v1/api/users", get(json(USERS)))
            .route("/v1/api/groups", get(json(GROUPS)))
            .route("/v1/api/groups/{gid}/users", get(json(MEMBERS)))
            .route("/v1/api/users/{id}/credentials", get(json(CREDENTIALS)));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let b = connector(&config(&base, "k", "s", "p"));
        let actual = b.observe(&scope(&["Staff"])).await.expect("observe");
        assert_eq!(
            actual.groups.get("Staff").map(String::as_str),
            Some("442211")
        );
        assert_eq!(actual.foreign_users, 1, "John Doe carries no externalId");
        let held = b.list_credentials("442211").await.expect("credentials");
        assert_eq!(held.len(), 2);
        assert_eq!(held[1].id, "611729");
    })
    .await;
}

/// One member page off its documented shape fails the whole observation (no partial state to
/// plan revocations from), naming Brivo, the request and what was missing.
#[tokio::test]
async fn a_bad_member_page_fails_the_whole_observation() {
    within(async {
        use axum::routing::{get, post};
        crate::net::install_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let json = |body: &'static str| {
            move || async move { ([("content-type", "application/json")], body) }
        };
        let no_count = r#"{"data":[{"id":442211,"firstName":"Peter"}],"offset":0,"pageSize":20}"#;
        let router = axum::Router::new()
            .route("/oauth/token", post(json(TOKEN)))
            .route("/v1/api/users", get(json(USERS)))
            .route("/v1/api/groups", get(json(GROUPS)))
            .route("/v1/api/groups/{gid}/users", get(json(no_count)));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let b = connector(&config(&base, "k", "s", "p"));
        let err = b.observe(&scope(&["Staff"])).await.expect_err("bad page");
        assert_eq!(err.kind(), "bad_response", "{err}");
        let text = err.to_string();
        let parts = [
            "GET /v1/api/groups/442211/users",
            "Brivo group member page",
            "count",
        ];
        assert!(err_has(&text, &parts), "{text}");
    })
    .await;
}
