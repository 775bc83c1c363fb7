//! Mobile keys in the plan: issued once (a new user after its groups, an existing user without
//! a recorded key), never again while the store records one, revoked by its recorded id when
//! nobody wants it, never on a system without mobile keys, for a held person or a person
//! waiting for activation.

use super::*;

const EXT: &str = "lockstep:y:1";

fn keys() -> Capabilities {
    Capabilities {
        mobile_keys: true,
        ..Default::default()
    }
}

fn wanting(key: bool) -> DesiredUser {
    DesiredUser {
        mobile_key: key,
        ..desired_user("1", &["Resident Entrances"])
    }
}

fn state(user: Option<DesiredUser>, issued: Option<&str>) -> DesiredState {
    let mut d = DesiredState {
        managed: managed(),
        ..Default::default()
    };
    if let Some(u) = user {
        d.users.insert(EXT.into(), u);
    }
    if let Some(id) = issued {
        d.issued_keys.insert(EXT.into(), id.into());
    }
    d
}

fn existing() -> ActualState {
    let mut a = ActualState {
        groups: directory(&["Resident Entrances"]),
        ..Default::default()
    };
    a.users
        .insert(EXT.into(), actual_user(EXT, &["Resident Entrances"]));
    a
}

fn names(p: &Plan) -> Vec<&'static str> {
    p.actions.iter().map(|a| a.name()).collect()
}

#[test]
fn a_new_user_gets_a_key_after_its_groups_and_only_once() {
    let fresh = ActualState {
        groups: directory(&["Resident Entrances"]),
        ..Default::default()
    };
    let p = plan(&state(Some(wanting(true)), None), &fresh, &keys());
    assert_eq!(
        names(&p),
        ["create_user", "add_to_group", "issue_mobile_key"]
    );
    let p = plan(&state(Some(wanting(true)), None), &existing(), &keys());
    assert_eq!(names(&p), ["issue_mobile_key"]);
    assert!(plan(
        &state(Some(wanting(true)), Some("901")),
        &existing(),
        &keys()
    )
    .is_empty());
}

#[test]
fn no_key_where_the_system_issues_none_or_the_person_waits() {
    let p = plan(
        &state(Some(wanting(true)), None),
        &existing(),
        &Capabilities::default(),
    );
    assert!(p.is_empty(), "{:?}", p.actions);
    let mut waiting = wanting(true);
    waiting.new_grants = false;
    assert!(plan(&state(Some(waiting), None), &existing(), &keys()).is_empty());
}

#[test]
fn an_unwanted_key_is_revoked_by_its_recorded_id_and_held_people_keep_theirs() {
    let revoke = |p: &Plan| {
        p.actions.iter().any(|a| {
            matches!(a, Action::RevokeCredential { credential_id, .. } if credential_id == "901")
        })
    };
    let p = plan(
        &state(Some(wanting(false)), Some("901")),
        &existing(),
        &keys(),
    );
    assert!(revoke(&p), "{:?}", p.actions);
    let p = plan(&state(None, Some("901")), &existing(), &keys());
    assert!(revoke(&p), "moved out: {:?}", p.actions);
    let mut held = state(None, Some("901"));
    held.held.insert(EXT.into());
    assert!(plan(&held, &existing(), &keys()).is_empty());
    let mut frozen = state(Some(wanting(false)), Some("901"));
    frozen.hold_removals = true;
    assert!(!revoke(&plan(&frozen, &existing(), &keys())));
}

#[test]
fn a_lost_key_that_is_also_unwanted_is_revoked_once() {
    let mut lost = wanting(false);
    lost.revoked_credentials.insert("901".into());
    let mut have = existing();
    if let Some(u) = have.users.get_mut(EXT) {
        u.credentials.push(ActualCredential {
            id: "901".into(),
            kind: "Openpath Mobile".into(),
        });
    }
    let p = plan(&state(Some(lost), Some("901")), &have, &keys());
    assert_eq!(names(&p), ["revoke_credential"]);
}

#[test]
fn every_credential_lost_spares_the_fresh_key_issued_after_the_report() {
    // The report named the old key (901) beside `*`; the replacement (902) is recorded.
    let mut lost = wanting(true);
    lost.revoked_credentials.insert("*".into());
    lost.revoked_credentials.insert("901".into());
    let mut have = existing();
    if let Some(u) = have.users.get_mut(EXT) {
        for (id, kind) in [("902", "Openpath Mobile"), ("555", "Card")] {
            u.credentials.push(ActualCredential {
                id: id.into(),
                kind: kind.into(),
            });
        }
    }
    let p = plan(&state(Some(lost.clone()), Some("902")), &have, &keys());
    let revoked: Vec<&str> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::RevokeCredential { credential_id, .. } => Some(credential_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(revoked, ["555"], "the card only: {:?}", p.actions);
    // Before the replacement, the old key still held is revoked (by id and by `*`, once).
    if let Some(u) = have.users.get_mut(EXT) {
        u.credentials[0].id = "901".into();
    }
    let p = plan(&state(Some(lost), Some("901")), &have, &keys());
    let old = p
        .actions
        .iter()
        .filter(|a| matches!(a, Action::RevokeCredential { credential_id, .. } if credential_id == "901"))
        .count();
    assert_eq!(old, 1, "{:?}", p.actions);
}
