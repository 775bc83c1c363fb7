//! Golden fixtures: every parser of an Openpath answer fed bodies written by hand from
//! openpath-swagger's response schemas (operationId named on each), not bodies from our
//! simulator. The spec has no examples, so the values are ours; field names, nesting, types
//! and nullability are the spec's.

use super::wire::{self, Credential, Group, GroupRef, One, User};
use crate::net::error_message;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `login` 201 (and `refreshLogin` 201, the same schema).
const LOGIN: &str = r#"{"data":{"identityId":7001,
 "identity":{"id":7001,"namespace":{"id":3,"nickname":"acme"}},
 "token":"eyJhbGciOiJIUzI1NiJ9.eyJpZGVudGl0eUlkIjo3MDAxfQ.c2ln",
 "tokenScopeList":[{"org":{"id":4242,"name":"Acme Lofts","opal":"opal:org:4242",
   "packagePlans":[{"id":1,"package":{"id":2,"name":"Core","packageFeatures":[]},"isSelected":true}],
   "parentOrg":null,"orgNativeApps":[],"isUnified":false},
  "user":{"id":55,"opal":"opal:user:55","needsMFACredential":false},
  "scope":["o4242-user:w","o4242-user:r"]}],
 "createdAt":"2026-11-23T07:00:00.000Z","expiresAt":"2026-12-07T07:00:00.000Z"},
 "meta":{"accessToken":{"scopeUpdatedAt":null},"siteSpecificAccess":null}}"#;

/// `listUsers` 200: one user made by an integration (with `externalId` and groups), one made
/// by hand (nullable fields null, no groups).
const USERS: &str = r#"{"totalCount":2,"filteredCount":2,
 "cursors":{"nextCursor":null,"hasNextPage":false},
 "data":[
  {"id":55,"opal":"opal:user:55","status":"A","startDate":null,"endDate":null,
   "startAndEndDateTimeZoneId":"America/Chicago","hasRemoteUnlock":false,
   "isOverrideAllowed":false,"externalId":"lockstep:y:p1:t0042",
   "identity":{"id":7055,"opal":"opal:identity:7055","firstName":"Grace","middleName":null,
    "lastName":"Hopper","fullName":"Grace Hopper","initials":"GH","isEmailVerified":true,
    "namespace":{"id":3},"email":"grace@example.test","mobilePhone":null,
    "createdAt":"2026-01-02T03:04:05.000Z","updatedAt":"2026-01-02T03:04:05.000Z"},
   "groups":[{"id":23174,"name":"Lobby"},{"id":23175,"name":"Gym"}],
   "sites":[{"id":9,"name":"Main"}],"roles":[],"userCustomFields":[],
   "buildingFloorUnits":null,"createdAt":"2026-01-02T03:04:05.000Z",
   "updatedAt":"2026-01-02T03:04:05.000Z","manuallyInactivatedAt":null,
   "lastActivityAt":"2026-11-20T08:00:00.000Z","title":null,"department":null,
   "personId":null,"statusLastUpdatedAt":null,"pictureUrl":null},
  {"id":56,"status":"S","externalId":null,
   "identity":{"id":7056,"firstName":"Victor","middleName":null,"lastName":"Guest",
    "fullName":null,"email":"victor@example.test"},
   "groups":[]}]}"#;

/// `listGroups` 200.
const GROUPS: &str = r#"{"totalCount":2,"filteredCount":2,"data":[
 {"id":23174,"name":"Lobby","description":"Front doors","createdAt":"2025-05-01T00:00:00.000Z",
  "updatedAt":"2025-05-01T00:00:00.000Z","userCount":120},
 {"id":23175,"name":"Gym","description":null,"userCount":0}],
 "meta":{"accessToken":null,"siteSpecificAccess":null}}"#;

/// `listUserGroups` 200 (items `{id, name}`).
const USER_GROUPS: &str =
    r#"{"totalCount":1,"filteredCount":1,"data":[{"id":23174,"name":"Lobby"}],"meta":{}}"#;

/// `listCredentials` 200: a mobile credential and a Wiegand card.
const CREDENTIALS: &str = r#"{"totalCount":2,"filteredCount":2,"data":[
 {"id":901,"startDate":null,"endDate":null,
  "credentialType":{"id":1,"name":"Openpath Mobile","modelName":"mobile"},
  "mobile":{"id":77,"name":"Phone","provisionedAt":null,"hasSetupMobileToken":true},
  "createdAt":"2026-01-02T03:04:05.000Z","updatedAt":"2026-01-02T03:04:05.000Z",
  "user":{"id":55,"status":"A"}},
 {"id":902,"credentialType":{"id":4,"name":"Wiegand Card","modelName":"card"},
  "card":{"id":12,"number":"16777215","numBits":26,"isOutputEnabled":true,
   "cardFormat":{"id":1,"code":"H10301","numBits":26},"facilityCode":"42","cardId":"1234",
   "fields":null},
  "user":{"id":55}}]}"#;

/// `createUser` 201.
const CREATED: &str = r#"{"data":{"id":57,"opal":"opal:user:57","status":"A",
 "externalId":"lockstep:y:p1:t0043","identity":{"id":7057,"email":"ada@example.test",
 "firstName":"Ada","lastName":"Lovelace"},"groups":[],"createdAt":"2026-11-23T07:00:00.000Z"},
 "meta":{"accessToken":null,"siteSpecificAccess":null}}"#;

#[test]
fn the_login_answer_gives_the_token_and_its_expiry() {
    let data = wire::parse_login(LOGIN.as_bytes()).expect("login");
    assert!(data.token.starts_with("eyJ"));
    let now = UNIX_EPOCH + Duration::from_secs(1_795_395_600); // 2026-11-23T01:00:00Z
    let lifetime = data.lifetime(now).expect("date").expect("expiresAt given");
    assert_eq!(lifetime, Duration::from_secs(14 * 86_400 + 6 * 3600));
}

#[test]
fn a_login_answer_without_a_usable_token_or_date_is_refused() {
    let empty = r#"{"data":{"token":"","expiresAt":null}}"#;
    assert!(wire::parse_login(empty.as_bytes()).is_err());
    assert!(
        wire::parse_login(br#"{"token":"t"}"#).is_err(),
        "token must be under data"
    );
    let no_expiry = wire::parse_login(br#"{"data":{"token":"t","expiresAt":null}}"#);
    let no_expiry = no_expiry.expect("expiresAt is nullable");
    assert_eq!(no_expiry.lifetime(SystemTime::now()), Ok(None));
    let bad = wire::parse_login(br#"{"data":{"token":"t","expiresAt":"soon"}}"#).expect("parse");
    assert!(bad.lifetime(SystemTime::now()).is_err());
}

#[test]
fn the_user_listing_gives_ids_names_external_ids_and_groups() {
    let page = wire::parse_page::<User>("user", 1000, USERS.as_bytes()).expect("users");
    assert_eq!(page.total_count, 2);
    let grace = &page.data[0];
    let a = grace.to_actual();
    assert_eq!(a.system_id, "55");
    assert_eq!(a.external_id.as_deref(), Some("lockstep:y:p1:t0042"));
    assert_eq!(a.name, "Grace Hopper");
    assert_eq!(a.email.as_deref(), Some("grace@example.test"));
    let groups: Vec<u64> = grace.groups.iter().flatten().map(|g| g.id.0).collect();
    assert_eq!(groups, vec![23174, 23175]);
    let victor = page.data[1].to_actual();
    assert_eq!(
        victor.external_id, None,
        "a null externalId is no external id"
    );
    assert_eq!(
        victor.name, "Victor Guest",
        "built from the parts when fullName is null"
    );
}

#[test]
fn the_group_user_group_and_credential_listings_parse() {
    let groups = wire::parse_page::<Group>("group", 1000, GROUPS.as_bytes()).expect("groups");
    assert_eq!(
        (groups.data[0].id.0, groups.data[0].name.as_str()),
        (23174, "Lobby")
    );
    let held = wire::parse_page::<GroupRef>("user group", 1000, USER_GROUPS.as_bytes());
    assert_eq!(held.expect("user groups").data[0].id.0, 23174);
    let creds = wire::parse_page::<Credential>("credential", 1000, CREDENTIALS.as_bytes());
    let creds = creds.expect("credentials");
    let kinds: Vec<String> = creds.data.iter().map(Credential::kind).collect();
    assert_eq!(kinds, vec!["Openpath Mobile", "Wiegand Card"]);
    assert_eq!(creds.data[1].id.0, 902);
}

#[test]
fn the_created_user_answer_gives_the_new_id() {
    let created: One<User> = wire::parse("created user", CREATED.as_bytes()).expect("created");
    assert_eq!(created.data.id.0, 57);
    assert_eq!(created.data.to_actual().name, "Ada Lovelace");
}

#[test]
fn ids_are_numbers_as_the_schema_says() {
    let float = r#"{"totalCount":1,"data":[{"id":23174.0,"name":"Lobby"}]}"#;
    let page = wire::parse_page::<Group>("group", 10, float.as_bytes()).expect("a whole float");
    assert_eq!(page.data[0].id.0, 23174);
    for bad in [
        r#"{"totalCount":1,"data":[{"id":"23174","name":"Lobby"}]}"#,
        r#"{"totalCount":1,"data":[{"id":1.5,"name":"Lobby"}]}"#,
        r#"{"totalCount":1,"data":[{"id":-1,"name":"Lobby"}]}"#,
        r#"{"totalCount":1,"data":[{"name":"Lobby"}]}"#,
    ] {
        assert!(
            wire::parse_page::<Group>("group", 10, bad.as_bytes()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_page_must_carry_its_total_and_fit_its_limit() {
    let no_total = r#"{"filteredCount":1,"data":[{"id":1,"name":"A"}]}"#;
    let err = wire::parse_page::<Group>("group", 10, no_total.as_bytes()).expect_err("no total");
    assert!(err.contains("totalCount"), "{err}");
    let over = wire::parse_page::<Group>("group", 1, GROUPS.as_bytes()).expect_err("over limit");
    assert!(over.contains("2 rows for a limit of 1"), "{over}");
}

/// The spec documents no error body; the shapes public clients read (`message`, `error`).
#[test]
fn error_bodies_give_their_text() {
    assert_eq!(
        error_message(br#"{"message":"Invalid or expired token","status":401}"#),
        "Invalid or expired token"
    );
    assert_eq!(
        error_message(br#"{"error":"Invalid request: User not found.","status":400}"#),
        "Invalid request: User not found."
    );
}

/// `listCredentialTypes` 200 (items `{id, name, description, modelName}`).
const CREDENTIAL_TYPES: &str = r#"{"totalCount":2,"filteredCount":2,"data":[
 {"id":4,"name":"Wiegand Card","description":"26-bit card","modelName":"card"},
 {"id":1,"name":"Openpath Mobile","description":null,"modelName":"mobile"}],
 "meta":{"accessToken":null,"siteSpecificAccess":null}}"#;

/// `createCredential` 201 (`{data: credential}` with its `mobile` part not yet set up).
const CREATED_CREDENTIAL: &str = r#"{"data":{"id":903,"startDate":"2027-01-15",
 "endDate":null,"credentialType":{"id":1,"name":"Openpath Mobile","modelName":"mobile"},
 "mobile":{"id":78,"name":null,"provisionedAt":null,"hasSetupMobileToken":false},
 "createdAt":"2027-01-15T08:00:00.000Z","updatedAt":"2027-01-15T08:00:00.000Z"}}"#;

#[test]
fn the_credential_types_and_a_created_mobile_credential_parse() {
    let kinds =
        wire::parse_page::<wire::Kind>("credential type", 1000, CREDENTIAL_TYPES.as_bytes());
    let kinds = kinds.expect("types");
    let mobile: Vec<u64> = kinds
        .data
        .iter()
        .filter(|k| k.is_mobile())
        .map(|k| k.id.0)
        .collect();
    assert_eq!(mobile, [1], "the card type is not mobile");
    let created: One<Credential> =
        wire::parse("created credential", CREATED_CREDENTIAL.as_bytes()).expect("created");
    assert_eq!(created.data.id.0, 903);
    assert!(created.data.is_mobile());
    assert!(created
        .data
        .mobile
        .as_ref()
        .is_some_and(|m| m.provisioned_at.is_none()));
    let listed = wire::parse_page::<Credential>("credential", 1000, CREDENTIALS.as_bytes());
    let listed = listed.expect("credentials");
    let mobile: Vec<bool> = listed.data.iter().map(Credential::is_mobile).collect();
    assert_eq!(mobile, [true, false]);
}
