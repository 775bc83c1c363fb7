//! The simulated world: properties, units and people shared by every source simulator
//! (DESIGN §10), the groups each access simulator starts with, and lease churn for the demo.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The state shape every source simulator shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceState {
    pub properties: Vec<SimProperty>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimProperty {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub people: Vec<SimPerson>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimPerson {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    /// `future`, `current`, `notice` or `past` as generated; any other text is a vendor's own
    /// word (e.g. `Eviction`, or an unknown one) that source simulators pass through verbatim.
    pub status: String,
    #[serde(default)]
    pub role: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub lease_start: Option<String>,
    #[serde(default)]
    pub lease_end: Option<String>,
}

const NAMES: [&str; 12] = [
    "Maple Court",
    "Harbor View",
    "Elm Street Lofts",
    "Cedar Point",
    "Riverside Commons",
    "Oak Terrace",
    "Birch Gardens",
    "Summit Place",
    "Willow Park",
    "Juniper House",
    "Aspen Row",
    "Linden Square",
];
const FIRST: [&str; 16] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
    "Luis", "Mara", "Nils", "Olga", "Priya",
];
const LAST: [&str; 16] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Silva",
    "Novak",
    "Haddad",
    "Kowalski",
    "Byrne",
    "Rossi",
    "Nguyen",
    "Schmidt",
    "Alvarez",
    "Petrov",
    "Mensah",
    "Cohen",
];

/// Which access simulator serves the property at `index` in generated configs.
pub fn access_system_of(index: usize) -> &'static str {
    systems_of(index).common
}

/// Where one generated property's groups live. Every third property is a building split
/// between two systems: unit doors in Kisi, lobby, amenity and staff doors in Brivo. The
/// fourth property (index 3) lives wholly in Openpath, the fifth (index 4) wholly in DOOR; the
/// sixth (index 5) is a coworking space whose members come from OfficeRnD, with groups in Kisi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The access simulator holding the unit groups.
    pub units: &'static str,
    /// The access simulator holding the common and maintenance groups.
    pub common: &'static str,
}

impl Layout {
    pub fn is_split(&self) -> bool {
        self.units != self.common
    }
}

/// The generated coworking property (`p6`): its people come from OfficeRnD, not the PMS, and its
/// groups live in Kisi.
pub const COWORKING_INDEX: usize = 5;
/// Its name.
pub const COWORKING_NAME: &str = "Foundry Cowork";

pub fn is_coworking(index: usize) -> bool {
    index == COWORKING_INDEX
}

pub fn systems_of(index: usize) -> Layout {
    if index == COWORKING_INDEX {
        return Layout {
            units: "kisi",
            common: "kisi",
        };
    }
    if index == 3 {
        return Layout {
            units: "openpath",
            common: "openpath",
        };
    }
    if index == 4 {
        return Layout {
            units: "door",
            common: "door",
        };
    }
    match index % 3 {
        0 => Layout {
            units: "kisi",
            common: "kisi",
        },
        1 => Layout {
            units: "brivo",
            common: "brivo",
        },
        _ => Layout {
            units: "kisi",
            common: "brivo",
        },
    }
}

/// The group names a property's config uses, derived from its name so properties sharing one
/// access system never collide: (common groups, unit pattern, maintenance group).
pub fn group_scheme(property_name: &str) -> (Vec<String>, String, String) {
    (
        vec![
            format!("{property_name} Entrances"),
            format!("{property_name} Amenities"),
        ],
        format!("{property_name} Unit {{unit}}"),
        format!("{property_name} Maintenance"),
    )
}

/// Every group an access simulator holds for one property: common, one per unit, maintenance.
pub fn property_groups(property: &SimProperty) -> Vec<String> {
    let (mut groups, _, maintenance) = group_scheme(&property.name);
    groups.extend(unit_groups(property));
    groups.push(maintenance);
    groups
}

/// The staff sheet of a split building, as an operator would keep it: two maintenance staff and
/// a contractor whose access ends in a month. Columns as `type: csv` documents them.
pub fn staff_csv(property: &SimProperty, now: i64) -> String {
    let day = |offset_days: i64| {
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs((now + offset_days * 86_400).max(0) as u64);
        humantime::format_rfc3339_seconds(at).to_string()[..10].to_string()
    };
    let id = &property.id;
    format!(
        "id,name,email,phone,kind,unit,start,end,status\n\
         {id}-s1,Rosa Medina,rosa.medina@example.test,,maintenance,,{},,active\n\
         {id}-s2,Tom Becker,tom.becker@example.test,,maintenance,,{},,active\n\
         {id}-c1,\"Ito, Ben\",ben.ito@example.test,,contractor,,{},{},active\n",
        day(-400),
        day(-30),
        day(-2),
        day(30)
    )
}

/// Writes `<dir>/<property id>.csv` for every split building, the way operators are told to:
/// a temporary file renamed into place, dated a few seconds back so it is already settled.
pub fn write_staff_sheets(
    dir: &std::path::Path,
    world: &SourceState,
    now: i64,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (index, property) in world.properties.iter().enumerate() {
        if !systems_of(index).is_split() {
            continue;
        }
        let tmp = dir.join(format!(".{}.csv.tmp", property.id));
        std::fs::write(&tmp, staff_csv(property, now))?;
        let settled = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
        std::fs::File::options()
            .write(true)
            .open(&tmp)?
            .set_modified(settled)?;
        std::fs::rename(&tmp, dir.join(format!("{}.csv", property.id)))?;
    }
    Ok(())
}

/// One group per unit of a property.
pub fn unit_groups(property: &SimProperty) -> Vec<String> {
    let (_, pattern, _) = group_scheme(&property.name);
    property
        .units
        .iter()
        .map(|u| pattern.replace("{unit}", u))
        .collect()
}

/// Groups no config manages, which the access simulators seed with hand-made users so tests can
/// show lockstep leaves foreign objects alone.
pub const FOREIGN_GROUP: &str = "Gym VIP (managed by hand)";

/// `YYYY-MM-DD` of a Unix time.
pub fn date(ts: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(ts.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
}

/// Unix time of midnight UTC of a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339(&format!("{}T00:00:00Z", text.trim())).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}

const DAY: i64 = 86_400;

/// Generates `properties` properties with about `residents` residents each, deterministically.
pub fn generate(properties: usize, residents: usize, seed: u64, now: i64) -> SourceState {
    let mut rng = StdRng::seed_from_u64(seed);
    let properties = (0..properties)
        .map(|i| generate_property(i, residents, now, &mut rng))
        .collect();
    SourceState { properties }
}

fn generate_property(index: usize, residents: usize, now: i64, rng: &mut StdRng) -> SimProperty {
    let id = format!("p{}", index + 1);
    if is_coworking(index) {
        // Its members live in the OfficeRnD simulator (`sim/officernd/world.rs`); the PMS has
        // no one there, so lease churn passes it by.
        return SimProperty {
            id,
            name: COWORKING_NAME.into(),
            units: Vec::new(),
            people: Vec::new(),
        };
    }
    let name = match NAMES.get(index) {
        Some(n) => n.to_string(),
        None => format!("Property {}", index + 1),
    };
    let unit_count = (residents * 2).div_ceil(3).max(1);
    let units: Vec<String> = (0..unit_count)
        .map(|u| format!("{}{:02}", u / 20 + 1, u % 20 + 1))
        .collect();
    let mut people = Vec::with_capacity(residents + 2);
    for n in 0..residents {
        let unit = units[n % units.len()].clone();
        let roll: f64 = rng.random();
        let status = if roll < 0.85 {
            "current"
        } else if roll < 0.90 {
            "notice"
        } else if roll < 0.95 {
            "future"
        } else {
            "past"
        };
        people.push(person(&id, n, Some(unit), status, None, now, rng));
    }
    for n in 0..2 {
        people.push(person(
            &id,
            residents + n,
            None,
            "current",
            Some("maintenance"),
            now,
            rng,
        ));
    }
    SimProperty {
        id,
        name,
        units,
        people,
    }
}

fn person(
    property: &str,
    n: usize,
    unit: Option<String>,
    status: &str,
    role: Option<&str>,
    now: i64,
    rng: &mut StdRng,
) -> SimPerson {
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let id = format!("{property}-{n:05}");
    let (start, end) = match status {
        "future" => (now + rng.random_range(5..60) * DAY, now + 400 * DAY),
        "notice" => (now - 300 * DAY, now + rng.random_range(3..30) * DAY),
        "past" => (now - 700 * DAY, now - rng.random_range(1..300) * DAY),
        _ => (
            now - rng.random_range(30..600) * DAY,
            now + rng.random_range(60..365) * DAY,
        ),
    };
    SimPerson {
        email: Some(format!(
            "{}.{}.{id}@example.test",
            first.to_lowercase(),
            last.to_lowercase()
        )),
        phone: Some(format!("+1555{:07}", rng.random_range(0..10_000_000u32))),
        id,
        name: format!("{first} {last}"),
        unit,
        status: status.to_string(),
        role: role.map(str::to_string),
        lease_start: Some(date(start)),
        lease_end: Some(date(end)),
    }
}

/// One change the churn made, for the demo's progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Churn {
    MoveIn {
        property: String,
        person: String,
    },
    MoveOut {
        property: String,
        person: String,
    },
    UnitChange {
        property: String,
        person: String,
        from: String,
        to: String,
    },
    Notice {
        property: String,
        person: String,
    },
}

/// Applies `changes` random lease events: move-ins (future → current, or a new resident),
/// notices, move-outs (notice → past) and unit changes.
pub fn churn(state: &mut SourceState, changes: usize, now: i64, rng: &mut StdRng) -> Vec<Churn> {
    let mut out = Vec::new();
    for _ in 0..changes.min(10_000) {
        if state.properties.is_empty() {
            break;
        }
        let p = rng.random_range(0..state.properties.len());
        let property = &mut state.properties[p];
        if property.people.is_empty() || property.units.is_empty() {
            continue;
        }
        let i = rng.random_range(0..property.people.len());
        let units = property.units.clone();
        let pid = property.id.clone();
        let person = &mut property.people[i];
        if person.role.is_some() {
            continue;
        }
        let event = match person.status.as_str() {
            "future" => {
                person.status = "current".into();
                person.lease_start = Some(date(now));
                Churn::MoveIn {
                    property: pid,
                    person: person.id.clone(),
                }
            }
            "current" if rng.random_bool(0.5) => {
                person.status = "notice".into();
                person.lease_end = Some(date(now + 14 * DAY));
                Churn::Notice {
                    property: pid,
                    person: person.id.clone(),
                }
            }
            "current" => {
                let to = units[rng.random_range(0..units.len())].clone();
                let from = person.unit.replace(to.clone()).unwrap_or_default();
                if from == to {
                    continue;
                }
                Churn::UnitChange {
                    property: pid,
                    person: person.id.clone(),
                    from,
                    to,
                }
            }
            "notice" => {
                person.status = "past".into();
                person.lease_end = Some(date(now));
                Churn::MoveOut {
                    property: pid,
                    person: person.id.clone(),
                }
            }
            _ => {
                // A past resident's unit gets a new lease: a new person moves in.
                let n = property.people.len();
                let unit = property.people[i].unit.clone();
                let mut new = self::person(&pid, n, unit, "current", None, now, rng);
                new.lease_start = Some(date(now));
                let id = new.id.clone();
                property.people.push(new);
                Churn::MoveIn {
                    property: pid,
                    person: id,
                }
            }
        };
        out.push(event);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = generate(3, 100, 7, 1_700_000_000);
        let b = generate(3, 100, 7, 1_700_000_000);
        assert_eq!(a, b);
        assert_eq!(a.properties.len(), 3);
        assert_eq!(a.properties[0].people.len(), 102);
        assert!(a.properties[0].people.iter().any(|p| p.status == "current"));
    }

    #[test]
    fn dates_round_trip() {
        let ts = 1_700_000_000 / DAY * DAY;
        assert_eq!(parse_date(&date(ts)), Some(ts));
        assert_eq!(parse_date("not a date"), None);
    }

    #[test]
    fn churn_changes_people() {
        let mut s = generate(2, 50, 1, 1_700_000_000);
        let before = s.clone();
        let mut rng = StdRng::seed_from_u64(3);
        let events = churn(&mut s, 20, 1_700_000_000, &mut rng);
        assert!(!events.is_empty());
        assert_ne!(s, before);
    }
}
