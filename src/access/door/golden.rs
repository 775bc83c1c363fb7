//! Golden tests of the DOOR parsers, fed with bodies transcribed from the specs' own schemas
//! and field examples (door-partner `User`, `UserAccess`, `Doorcode`, `Door`, `DoorsResponse`,
//! `UsersResponse`, `PostUserResponse`, `BadRequestError`; door-auth
//! `AuthorizationResponseParams`), never from simulator output.

use super::token::jwt_lifetime;
use super::wire::{self, parse_page, parse_token, Door, PostUserResponse, User};
use crate::model::Window;
use std::time::{Duration, UNIX_EPOCH};

/// `User` with its example values (`john.smith@example.com`, `John`, `Smith`,
/// `+1-111-111-1111`) and one `UserAccess` (`shareable` example `false`, `Doorcode` example
/// `1234567` / `VALID`, `AccessGranter` type `PARTNER`).
const USER: &str = r#"{
  "userUuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "email": "john.smith@example.com", "firstName": "John", "lastName": "Smith",
  "phone": "+1-111-111-1111",
  "accesses": [{
    "doorUuid": "5ea85f64-5717-4562-b3fc-2c963f66afa7",
    "userUuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-12-31T23:59:59Z",
    "passcodeType": "PERMANENT", "role": "RESIDENT", "shareable": false,
    "granter": {"type": "PARTNER", "uuid": "7ca85f64-5717-4562-b3fc-2c963f66afa8"},
    "doorcode": {"code": "1234567", "description": "VALID"}
  }]
}"#;

/// `DoorsResponse` with the schema's `nextPageToken` example `"1"`; `Door` with its required
/// fields and the optional `device` (`Battery` examples 1737137633 / 92, `DeviceInfo`
/// `0123456789` / `C`), `isConnected` example `false`.
const DOORS: &str = r#"{
  "doors": [{
    "uuid": "5ea85f64-5717-4562-b3fc-2c963f66afa7", "name": "Lobby",
    "buildingUuid": "1ba85f64-5717-4562-b3fc-2c963f66afa9", "type": "DOOR",
    "accessibilityType": "COMMUNAL", "isConnected": false,
    "device": {"battery": {"lastUpdated": 1737137633, "percentage": 92},
               "serialNumber": "0123456789", "type": "C"}
  }],
  "nextPageToken": "1"
}"#;

#[test]
fn a_user_with_its_access_and_window() {
    let user: User = wire::parse("user", USER.as_bytes()).expect("User");
    let actual = user.to_actual();
    assert_eq!(actual.system_id, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
    assert_eq!(actual.name, "John Smith");
    assert_eq!(actual.email.as_deref(), Some("john.smith@example.com"));
    assert_eq!(actual.external_id, None, "no lockstep tag: a foreign user");
    let access = user
        .access_to("5EA85F64-5717-4562-B3FC-2C963F66AFA7")
        .expect("access");
    assert_eq!(
        access.window().expect("window"),
        Window {
            from: Some(1_767_225_600),
            until: Some(1_798_761_599)
        }
    );
}

#[test]
fn a_users_page_without_a_token_is_the_last() {
    let body = format!(r#"{{"users": [{USER}]}}"#);
    let page = parse_page::<User>("user", "users", 100, body.as_bytes()).expect("page");
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.next_page_token, None);
    let empty = parse_page::<User>(
        "user",
        "users",
        100,
        br#"{"users": [], "nextPageToken": ""}"#,
    );
    assert_eq!(
        empty.expect("page").next_page_token,
        None,
        "an empty token ends it too"
    );
}

#[test]
fn a_doors_page_carries_the_next_token() {
    let page = parse_page::<Door>("door", "doors", 100, DOORS.as_bytes()).expect("page");
    assert_eq!(page.next_page_token.as_deref(), Some("1"));
    assert_eq!(page.rows[0].name, "Lobby");
    assert_eq!(page.rows[0].uuid, "5ea85f64-5717-4562-b3fc-2c963f66afa7");
}

#[test]
fn a_door_without_its_required_name_is_not_a_door() {
    let body = br#"{"doors": [{"uuid": "5ea85f64-5717-4562-b3fc-2c963f66afa7",
        "buildingUuid": "1ba85f64-5717-4562-b3fc-2c963f66afa9", "type": "DOOR"}]}"#;
    let err = parse_page::<Door>("door", "doors", 100, body)
        .err()
        .expect("error");
    assert!(err.contains("name"), "{err}");
}

#[test]
fn the_grant_answer_gives_the_user_uuid() {
    let body = format!(
        r#"{{"userUuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "doors": {}}}"#,
        &DOORS[DOORS.find('[').expect("[")..=DOORS.rfind(']').expect("]")]
    );
    let answer: PostUserResponse = wire::parse("grant answer", body.as_bytes()).expect("answer");
    assert_eq!(answer.user_uuid, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
}

#[test]
fn the_token_answer_needs_a_bearer_token() {
    let t = parse_token(br#"{"access_token": "eyJ.x.y", "token_type": "Bearer"}"#).expect("token");
    assert_eq!(t.expires_in, None, "not in the schema");
    assert!(parse_token(br#"{"access_token": "", "token_type": "Bearer"}"#).is_err());
    assert!(parse_token(br#"{"access_token": "a", "token_type": "MAC"}"#).is_err());
    assert!(parse_token(br#"{"token_type": "Bearer"}"#).is_err());
}

#[test]
fn a_jwt_exp_gives_the_lifetime() {
    // {"exp":2000000000}
    let token = "e30.eyJleHAiOjIwMDAwMDAwMDB9.sig";
    let now = UNIX_EPOCH + Duration::from_secs(1_999_999_000);
    assert_eq!(jwt_lifetime(token, now), Some(Duration::from_secs(1000)));
    assert_eq!(jwt_lifetime("opaque", now), None);
}

#[test]
fn the_error_body_is_read_for_its_code() {
    // `BadRequestError`: `{message}` with one of the enum's codes.
    let message = crate::net::error_message(br#"{"message": "INVALID_END_TIME"}"#);
    assert_eq!(message, "INVALID_END_TIME");
    assert!(super::errors::explain(&message).is_some());
}

#[test]
fn times_and_tags_round_trip() {
    assert_eq!(wire::format_time(1_767_225_600), "2026-01-01T00:00:00Z");
    assert_eq!(wire::parse_time("2026-01-01T00:00:00Z"), Ok(1_767_225_600));
    assert_eq!(
        wire::parse_time("2026-01-01T01:00:00.250+01:00"),
        Ok(1_767_225_600)
    );
    assert_eq!(
        wire::parse_time("2025-12-31T19:00:00-05:00"),
        Ok(1_767_225_600)
    );
    assert!(wire::parse_time("2026-01-01T00:00:00").is_err(), "no zone");
    let last = wire::tagged_last_name("King Lovelace", "lockstep:y:ada");
    assert_eq!(last, "King Lovelace [lockstep:y:ada]");
    assert_eq!(
        wire::split_tag(&last),
        ("King Lovelace", Some("lockstep:y:ada".into()))
    );
    assert_eq!(
        wire::split_tag("[lockstep:y:1]"),
        ("", Some("lockstep:y:1".into()))
    );
    assert_eq!(wire::split_tag("Smith [Jr]"), ("Smith [Jr]", None));
}
