//! The OfficeRnD simulator's state and the coworking world it starts with: one location with
//! two floors, private offices and meeting rooms, plans, members with memberships, bookings of
//! meeting rooms and day passes, generated deterministically around `now`.
//!
//! Rows are kept as JSON objects in the shape the public material shows (see `sim/officernd.rs`
//! for the sources), so a test can put any row, well formed or not, through `PUT /_sim/state`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The simulator's whole state: what `GET /officernd/_sim/state` returns and PUT accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerndState {
    /// The one organisation served (`/api/v2/organizations/{org_slug}/…`).
    pub org_slug: String,
    /// List name (`members`, `bookings`, …) → its rows.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<Value>>,
    /// `expires_in` of new tokens (VENDORS.md: 3599); 0 means 3599.
    #[serde(default)]
    pub token_lifetime_secs: u64,
    /// Issued tokens → Unix expiry. Clearing it makes every held token answer 401.
    #[serde(default)]
    pub tokens: BTreeMap<String, i64>,
    #[serde(default)]
    pub quirks: Quirks,
}

/// Misbehaviour a test asks for (assumptions: how a broken listing would look).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quirks {
    /// Every page of every list points back to the second page: a cursor that repeats.
    pub repeat_cursor: bool,
    /// This page (1-based) of `/members` answers a body without `results`.
    pub malformed_members_page: Option<usize>,
}

pub const ORG_SLUG: &str = "foundry-sim";
pub const LOCATION_ID: &str = "loc-foundry";
pub const LISTS: [&str; 8] = [
    "locations",
    "floors",
    "resources",
    "plans",
    "members",
    "memberships",
    "bookings",
    "passes",
];

/// Plans by id: the plans a coworking space sells (the brief's examples).
const PLANS: [(&str, &str); 5] = [
    ("pl-hot", "Hot Desk"),
    ("pl-ded", "Dedicated Desk"),
    ("pl-office", "Private Office"),
    ("pl-mail", "Mail Only"),
    ("pl-day", "Day Pass"),
];
const FLOORS: [(&str, &str); 2] = [("fl-1", "Floor 1"), ("fl-2", "Floor 2")];
/// (id, name, type, floor): resource types from C-lib (`meeting_room`, `team_room`).
const RESOURCES: [(&str, &str, &str, &str); 6] = [
    ("rs-board", "Board Room", "meeting_room", "fl-1"),
    ("rs-focus", "Focus Room", "meeting_room", "fl-2"),
    ("rs-101", "Office 101", "team_room", "fl-1"),
    ("rs-102", "Office 102", "team_room", "fl-1"),
    ("rs-201", "Office 201", "team_room", "fl-2"),
    ("rs-202", "Office 202", "team_room", "fl-2"),
];
const FIRST: [&str; 12] = [
    "Amara", "Bruno", "Chen", "Dana", "Emil", "Fatima", "Gus", "Hana", "Ivo", "Jade", "Kofi",
    "Lena",
];
const LAST: [&str; 12] = [
    "Adeyemi", "Berg", "Castro", "Dubois", "Eriksen", "Fischer", "Gupta", "Hale", "Ito", "Jensen",
    "Kim", "Lopez",
];

const DAY: i64 = 86_400;

/// An ISO 8601 instant, as OfficeRnD writes them (`2024-05-01T09:00:00.000Z`, C-lib/C-n8n).
pub fn iso(ts: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(ts.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

/// A membership date: the day at `T00:00:00.000Z` (C-n8n: "the API always returns T00:00:00Z").
fn day(ts: i64) -> String {
    iso(ts.div_euclid(DAY) * DAY)
}

/// The world of one coworking location named `location`, with `members` members.
pub fn generate(location: &str, members: usize, seed: u64, now: i64) -> OfficerndState {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut put = |list: &str, row: Value| lists.entry(list.to_string()).or_default().push(row);
    put("locations", json!({"_id": LOCATION_ID, "name": location}));
    for (id, name) in FLOORS {
        put(
            "floors",
            json!({"_id": id, "name": name, "location": LOCATION_ID}),
        );
    }
    for (id, name, kind, floor) in RESOURCES {
        put(
            "resources",
            json!({"_id": id, "name": name, "type": kind, "location": LOCATION_ID, "floor": floor}),
        );
    }
    for (id, name) in PLANS {
        put("plans", json!({"_id": id, "name": name}));
    }
    let mut active = 0usize;
    for n in 0..members {
        let id = format!("m-{n:04}");
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let roll: f64 = rng.random();
        let status = if roll < 0.84 {
            "active"
        } else if roll < 0.92 {
            "former"
        } else {
            "contact"
        };
        let since = now - rng.random_range(20..500) * DAY;
        put(
            "members",
            json!({
                "_id": id, "name": format!("{first} {last}"),
                "email": format!("{}.{}.{id}@example.test", first.to_lowercase(), last.to_lowercase()),
                "phone": format!("+1555{:07}", rng.random_range(0..10_000_000u32)),
                "status": status, "startDate": day(since), "location": LOCATION_ID,
            }),
        );
        match status {
            "active" => {
                let (plan_id, _) = PLANS[active % 4];
                let mut ms = json!({
                    "_id": format!("ms-{n:04}"), "plan": plan_id, "member": id,
                    "location": LOCATION_ID, "startDate": day(since),
                    "endDate": if active % 3 == 0 { Value::Null } else { json!(day(now + rng.random_range(30..365) * DAY)) },
                });
                if plan_id == "pl-office" {
                    ms["resource"] = json!(RESOURCES[2 + (active / 4) % 4].0);
                }
                put("memberships", ms);
                if active % 5 == 1 {
                    let start = now + rng.random_range(1..10) * DAY + 9 * 3600;
                    put(
                        "bookings",
                        booking(
                            &format!("bk-{n:04}"),
                            "rs-board",
                            &id,
                            start,
                            start + 3600,
                            active % 10 == 6,
                        ),
                    );
                }
                // Hot Desk members buy day passes (every other one of them).
                if active % 8 == 4 {
                    put(
                        "passes",
                        pass(
                            &format!("ps-{n:04}"),
                            &id,
                            5,
                            2,
                            now - 10 * DAY,
                            now + 30 * DAY,
                        ),
                    );
                }
                active += 1;
            }
            "former" => put(
                "memberships",
                json!({
                    "_id": format!("ms-{n:04}"), "plan": "pl-hot", "member": id,
                    "location": LOCATION_ID, "startDate": day(since - 400 * DAY),
                    "endDate": day(now - rng.random_range(2..300) * DAY),
                }),
            ),
            _ => {}
        }
    }
    OfficerndState {
        org_slug: ORG_SLUG.into(),
        lists,
        ..Default::default()
    }
}

/// A booking as C-lib's schema has it (`resourceId`, `start.dateTime`, `end.dateTime`) with
/// v2's `isCancelled` (C-dock).
pub fn booking(
    id: &str,
    resource: &str,
    member: &str,
    start: i64,
    end: i64,
    cancelled: bool,
) -> Value {
    json!({
        "_id": id, "resourceId": resource, "member": member,
        "start": {"dateTime": iso(start)}, "end": {"dateTime": iso(end)},
        "isCancelled": cancelled, "timezone": "UTC",
    })
}

/// A set of day passes as D-passes lists its fields; `plan` is an assumption.
pub fn pass(id: &str, member: &str, count: u32, used: u32, from: i64, to: i64) -> Value {
    json!({
        "_id": id, "member": member, "count": count, "used": used,
        "validFrom": iso(from), "validTo": iso(to), "intervalLength": "once", "plan": "pl-day",
    })
}

/// Edges the demo shows happening: the first active member's Board Room booking starts 90 s
/// from `now` and ends a minute later; a Mail Only member (whose plan opens no entrance) holds
/// day passes that run out 2 minutes from `now`. Returns what to announce, with when.
pub fn seed_demo_edges(state: &mut OfficerndState, now: i64) -> Vec<(i64, String)> {
    let members = state.lists.get("members").cloned().unwrap_or_default();
    let plan_of = |id: &str| {
        state
            .lists
            .get("memberships")
            .into_iter()
            .flatten()
            .find(|ms| ms["member"] == id)
            .and_then(|ms| ms["plan"].as_str().map(str::to_string))
    };
    let active: Vec<(String, String)> = members
        .iter()
        .filter(|m| m["status"] == "active")
        .filter_map(|m| {
            Some((
                m["_id"].as_str()?.to_string(),
                m["name"].as_str()?.to_string(),
            ))
        })
        .collect();
    let holds_passes = |id: &str| {
        state
            .lists
            .get("passes")
            .into_iter()
            .flatten()
            .any(|p| p["member"] == id)
    };
    let mail_only = active
        .iter()
        .find(|(id, _)| plan_of(id).as_deref() == Some("pl-mail") && !holds_passes(id))
        .or(active.get(1))
        .cloned();
    let mut out = Vec::new();
    if let Some((id, name)) = active.first() {
        let (start, end) = (now + 90, now + 150);
        state
            .lists
            .entry("bookings".into())
            .or_default()
            .push(booking("bk-demo", "rs-board", id, start, end, false));
        out.push((start, format!("{name} ({id})'s Board Room booking starts")));
        out.push((end, format!("{name} ({id})'s Board Room booking ends")));
    }
    if let Some((id, name)) = mail_only {
        let to = now + 120;
        state.lists.entry("passes".into()).or_default().push(pass(
            "ps-demo",
            &id,
            3,
            1,
            now - DAY,
            to,
        ));
        out.push((to, format!("{name} ({id})'s day passes expire")));
    }
    out.sort();
    out
}

/// The Kisi group names of a coworking property, unique to it: (config table, key, groups).
pub fn member_tables(property: &str) -> Vec<(&'static str, String, Vec<String>)> {
    let g = |s: &str| format!("{property} {s}");
    let mut t = vec![
        ("plans", "Hot Desk".to_string(), vec![g("Entrance")]),
        (
            "plans",
            "Dedicated Desk".to_string(),
            vec![g("Entrance"), g("Desk Area")],
        ),
        ("plans", "Private Office".to_string(), vec![g("Entrance")]),
        ("plans", "Mail Only".to_string(), vec![g("Mailroom")]),
        ("locations", property.to_string(), vec![g("Lobby")]),
        ("day_passes", "Day Pass".to_string(), vec![g("Entrance")]),
    ];
    for (_, name) in FLOORS {
        t.push(("floors", name.to_string(), vec![g(name)]));
    }
    for (_, name, kind, _) in RESOURCES {
        let table = if kind == "team_room" {
            "offices"
        } else {
            "resources"
        };
        t.push((table, name.to_string(), vec![g(name)]));
    }
    t
}

/// Every group `member_tables` names, once.
pub fn member_groups(property: &str) -> Vec<String> {
    let mut groups: Vec<String> = member_tables(property)
        .into_iter()
        .flat_map(|(_, _, g)| g)
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_is_deterministic_and_has_every_list() {
        let a = generate("Foundry Cowork", 60, 3, 1_800_000_000);
        assert_eq!(a, generate("Foundry Cowork", 60, 3, 1_800_000_000));
        for list in LISTS {
            assert!(!a.lists[list].is_empty(), "{list}");
        }
        assert_eq!(a.lists["members"].len(), 60);
    }

    #[test]
    fn demo_edges_fall_a_few_minutes_ahead() {
        let mut s = generate("Foundry Cowork", 10, 1, 1_800_000_000);
        let edges = seed_demo_edges(&mut s, 1_800_000_000);
        assert_eq!(edges.len(), 3);
        assert!(edges
            .iter()
            .all(|(t, _)| *t > 1_800_000_000 && *t <= 1_800_000_000 + 150));
    }
}
