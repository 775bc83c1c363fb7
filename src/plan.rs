//! `plan(desired, actual) -> Plan`, the pure decision at the heart of every cycle, and the
//! blast-radius guard that sits between a plan and the executor.
//!
//! Set arithmetic on keys plus a value comparison for keys on both sides, after vector's
//! `config/diff.rs`. No IO, no clock, no `Result`: the same inputs always give the same plan.

use crate::model::{
    Action, ActualState, ActualUser, Capabilities, DesiredState, DesiredUser, Plan, Window,
};
use serde::{Deserialize, Serialize};

/// Computes the actions that bring `actual` to `desired`.
///
/// Invariants (tested below): `plan(x, x)` is empty; applying a plan and planning again gives an
/// empty plan; only owned users and managed groups are ever removed; revocations come first;
/// users in `desired.held` get no action at all.
pub fn plan(desired: &DesiredState, actual: &ActualState, caps: &Capabilities) -> Plan {
    let mut out = Plan::default();
    for (external_id, want) in &desired.users {
        if desired.is_held(external_id) {
            // Held: the source could not say what this person should hold.
            continue;
        }
        match actual.users.get(external_id) {
            None if want.new_grants => plan_new_user(external_id, want, actual, caps, &mut out),
            None => {}
            Some(have) => {
                plan_existing_user(external_id, want, have, desired, actual, caps, &mut out)
            }
        }
    }
    for (external_id, have) in &actual.users {
        if desired.users.contains_key(external_id)
            || desired.is_held(external_id)
            || desired.hold_removals
            || !have.is_owned()
        {
            continue;
        }
        if clears_pin(external_id, None, have, desired) {
            out.actions.push(Action::RevokePin {
                external_id: external_id.clone(),
                person_id: person_id_of(external_id),
            });
        }
        if let Some(key) = desired.issued_keys.get(external_id) {
            out.actions.push(Action::RevokeCredential {
                external_id: external_id.clone(),
                person_id: person_id_of(external_id),
                credential_id: key.clone(),
            });
        }
        for group in have
            .groups
            .keys()
            .filter(|g| desired.may_revoke(external_id, g))
        {
            out.actions.push(Action::RemoveFromGroup {
                external_id: external_id.clone(),
                person_id: person_id_of(external_id),
                group: group.clone(),
                account: None,
            });
        }
    }
    plan_duplicates(desired, actual, &mut out);
    out.actions.sort();
    // A lost mobile key that is also no longer wanted is revoked once.
    out.actions.dedup();
    out.problems.sort();
    out
}

/// Every further account carrying an owned external id loses what the person should not hold,
/// like the first; nothing is ever added to a copy, and no third account is created.
fn plan_duplicates(desired: &DesiredState, actual: &ActualState, out: &mut Plan) {
    for (external_id, copies) in &actual.duplicates {
        out.problems.push(format!(
            "person {}: {} accounts carry the external id {external_id}; revocations apply to each",
            person_id_of(external_id),
            copies.len() + 1
        ));
        if desired.is_held(external_id) || desired.hold_removals {
            continue;
        }
        let want = desired.users.get(external_id);
        for copy in copies.iter().filter(|c| c.is_owned()) {
            for group in copy.groups.keys().filter(|g| {
                desired.may_revoke(external_id, g)
                    && !want.is_some_and(|w| w.groups.contains_key(*g))
            }) {
                out.actions.push(Action::RemoveFromGroup {
                    external_id: external_id.clone(),
                    person_id: person_id_of(external_id),
                    group: group.clone(),
                    account: Some(copy.system_id.clone()),
                });
            }
        }
    }
}

fn plan_new_user(
    external_id: &str,
    want: &DesiredUser,
    actual: &ActualState,
    caps: &Capabilities,
    out: &mut Plan,
) {
    let grants: Vec<(&String, &Window)> = want
        .groups
        .iter()
        .filter(|(group, _)| known_group(group, want, actual, out))
        .collect();
    if grants.is_empty() {
        // Nobody is created just to hold nothing.
        return;
    }
    if exceeds_limit(grants.len(), want, caps, out) {
        return;
    }
    out.actions.push(Action::CreateUser {
        external_id: external_id.to_string(),
        person_id: want.person_id.clone(),
        name: want.name.clone(),
        email: want.email.clone(),
    });
    for (group, window) in grants {
        out.actions.push(Action::AddToGroup {
            external_id: external_id.to_string(),
            person_id: want.person_id.clone(),
            group: group.clone(),
            window: effective(window, caps),
        });
    }
    if let Some(pin) = want.pin.filter(|_| caps.pins) {
        out.actions.push(Action::IssuePin {
            external_id: external_id.to_string(),
            person_id: want.person_id.clone(),
            generation: pin.generation,
            window: effective(&pin.window, caps),
        });
    }
    if want.mobile_key && caps.mobile_keys {
        out.actions.push(issue_key(external_id, want));
    }
}

/// A mobile key for the person, valid across their groups.
fn issue_key(external_id: &str, want: &DesiredUser) -> Action {
    let window = want
        .groups
        .values()
        .copied()
        .reduce(|a, b| crate::policy::kinds::widest(&a, &b))
        .unwrap_or(Window::OPEN);
    Action::IssueMobileKey {
        external_id: external_id.to_string(),
        person_id: want.person_id.clone(),
        window,
    }
}

/// Whether the user's PIN is to be cleared: lockstep issued it (a PIN set by hand is never
/// touched), the user still holds one, and the person should hold none. A replacement is not a
/// clearing: issuing the next generation overwrites the lost PIN.
fn clears_pin(
    external_id: &str,
    want: Option<&DesiredUser>,
    have: &ActualUser,
    desired: &DesiredState,
) -> bool {
    !desired.hold_removals
        && have.pin.is_some()
        && desired.issued_pins.contains_key(external_id)
        && want.is_none_or(|w| w.pin.is_none())
}

/// Whether the person should be given a PIN now: they should hold one, and lockstep has not
/// issued this generation, or the one it issued is gone from the system.
fn issues_pin(
    external_id: &str,
    want: &DesiredUser,
    have: &ActualUser,
    desired: &DesiredState,
) -> bool {
    want.new_grants
        && want.pin.is_some_and(|pin| {
            desired.issued_pins.get(external_id) != Some(&pin.generation) || have.pin.is_none()
        })
}

fn plan_existing_user(
    external_id: &str,
    want: &DesiredUser,
    have: &ActualUser,
    desired: &DesiredState,
    actual: &ActualState,
    caps: &Capabilities,
    out: &mut Plan,
) {
    if !have.is_owned() {
        return;
    }
    let removals: Vec<&String> = if desired.hold_removals {
        Vec::new()
    } else {
        have.groups
            .keys()
            .filter(|g| desired.may_revoke(external_id, g) && !want.groups.contains_key(*g))
            .collect()
    };
    let additions: Vec<(&String, &Window)> = if want.new_grants {
        want.groups
            .iter()
            .filter(|(g, _)| !have.groups.contains_key(*g))
            .filter(|(g, _)| known_group(g, want, actual, out))
            .collect()
    } else {
        Vec::new()
    };
    for group in &removals {
        out.actions.push(Action::RemoveFromGroup {
            external_id: external_id.to_string(),
            person_id: want.person_id.clone(),
            group: (*group).clone(),
            account: None,
        });
    }
    if clears_pin(external_id, Some(want), have, desired) {
        out.actions.push(Action::RevokePin {
            external_id: external_id.to_string(),
            person_id: want.person_id.clone(),
        });
    }
    // `*` covers what the person held when it was reported; the mobile key lockstep issued is
    // named by id in that report, so a fresh one issued after the loss is not lost too.
    let recorded_key = desired.issued_keys.get(external_id);
    for credential in &have.credentials {
        let every = want.revoked_credentials.contains("*") && recorded_key != Some(&credential.id);
        if want.revoked_credentials.contains(&credential.id) || every {
            out.actions.push(Action::RevokeCredential {
                external_id: external_id.to_string(),
                person_id: want.person_id.clone(),
                credential_id: credential.id.clone(),
            });
        }
    }
    let total_after = have.groups.len() - removals.len() + additions.len();
    if !additions.is_empty() && !exceeds_limit(total_after, want, caps, out) {
        for (group, window) in additions {
            out.actions.push(Action::AddToGroup {
                external_id: external_id.to_string(),
                person_id: want.person_id.clone(),
                group: group.clone(),
                window: effective(window, caps),
            });
        }
    }
    match desired.issued_keys.get(external_id) {
        None if want.mobile_key && want.new_grants && caps.mobile_keys => {
            out.actions.push(issue_key(external_id, want));
        }
        Some(key) if !want.mobile_key && !desired.hold_removals => {
            out.actions.push(Action::RevokeCredential {
                external_id: external_id.to_string(),
                person_id: want.person_id.clone(),
                credential_id: key.clone(),
            });
        }
        _ => {}
    }
    if let Some(pin) = want
        .pin
        .filter(|_| caps.pins && issues_pin(external_id, want, have, desired))
    {
        out.actions.push(Action::IssuePin {
            external_id: external_id.to_string(),
            person_id: want.person_id.clone(),
            generation: pin.generation,
            window: effective(&pin.window, caps),
        });
    }
    if caps.time_windows {
        for (group, window) in &want.groups {
            match have.groups.get(group) {
                Some(m) if m.window != *window => out.actions.push(Action::SetWindow {
                    external_id: external_id.to_string(),
                    person_id: want.person_id.clone(),
                    group: group.clone(),
                    window: *window,
                }),
                _ => {}
            }
        }
    }
}

/// Windows only travel to systems that can hold them; elsewhere the policy already delays grants.
fn effective(window: &Window, caps: &Capabilities) -> Window {
    if caps.time_windows {
        *window
    } else {
        Window::OPEN
    }
}

fn known_group(group: &str, want: &DesiredUser, actual: &ActualState, out: &mut Plan) -> bool {
    if actual.groups.contains_key(group) {
        return true;
    }
    out.problems.push(format!(
        "person {}: group {group:?} does not exist in the access system",
        want.person_id
    ));
    false
}

fn exceeds_limit(count: usize, want: &DesiredUser, caps: &Capabilities, out: &mut Plan) -> bool {
    match caps.max_groups_per_user {
        Some(limit) if count > limit => {
            out.problems.push(format!(
                "person {}: would hold {count} groups, more than the access system's limit of {limit} per user; grants held",
                want.person_id
            ));
            true
        }
        _ => false,
    }
}

/// `lockstep:<source>:<person>` → `<person>`; anything else is returned whole.
pub fn person_id_of(external_id: &str) -> String {
    external_id
        .strip_prefix(crate::model::EXTERNAL_ID_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, person)| person.to_string())
        .unwrap_or_else(|| external_id.to_string())
}

/// `max_revocations` of a property: a count, or a percentage of its current grants with a floor
/// so that a three-unit building can still see a move-out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RevocationLimit {
    Count(usize),
    Percent { percent: f64, floor: usize },
}

impl Default for RevocationLimit {
    fn default() -> Self {
        RevocationLimit::Percent {
            percent: 10.0,
            floor: 5,
        }
    }
}

impl RevocationLimit {
    /// The most revocations one cycle may carry given the property's current grant count.
    pub fn allowed(&self, current_grants: usize) -> usize {
        match *self {
            RevocationLimit::Count(n) => n,
            RevocationLimit::Percent { percent, floor } => {
                let share = (current_grants as f64 * percent / 100.0).floor() as usize;
                share.max(floor)
            }
        }
    }
}

/// What the guard decided for one plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardVerdict {
    pub revocations: usize,
    pub allowed: usize,
    pub tripped: bool,
}

/// Holds a plan's revocations when there are more than the limit allows, unless an operator has
/// released the guard for this cycle. Grants are never held by the guard.
pub fn guard(
    plan: &Plan,
    limit: &RevocationLimit,
    current_grants: usize,
    released: bool,
) -> GuardVerdict {
    guard_count(plan.revocations().count(), limit, current_grants, released)
}

/// The guard over a count of revocations (a property's plans across its access systems).
/// `current_grants` are the grants observed before anything of the cycle is applied.
pub fn guard_count(
    revocations: usize,
    limit: &RevocationLimit,
    current_grants: usize,
    released: bool,
) -> GuardVerdict {
    let allowed = limit.allowed(current_grants);
    GuardVerdict {
        revocations,
        allowed,
        tripped: !released && revocations > allowed,
    }
}

#[cfg(test)]
mod tests;
