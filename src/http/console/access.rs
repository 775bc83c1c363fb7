//! The person page's "Access per system": per access system of the property, a table of what
//! the person should hold (as a cycle would decide now), what the system holds (the informer's
//! shared observation) and the word for the difference, coloured like the suggestions page:
//! green grant, red revoke, grey no change. A source or system that fails shows its message and
//! the rest of the page stands. A PIN is shown by generation and presence only, never a value.

use crate::controller::{AccessRow, PersonView, RowStatus, SystemAccess};
use crate::model::Window;
use maud::{html, Markup};

/// "until 2026-12-01 10:00Z", "from … until …"; empty for an open window.
pub fn window_words(w: &Window) -> String {
    let at = |t: i64| {
        let s = crate::store::rfc3339(t).replacen('T', " ", 1);
        match s.strip_suffix(":00Z") {
            Some(minutes) => format!("{minutes}Z"),
            None => s,
        }
    };
    match (w.from, w.until) {
        (None, None) => String::new(),
        (Some(f), None) => format!("from {}", at(f)),
        (None, Some(u)) => format!("until {}", at(u)),
        (Some(f), Some(u)) => format!("from {} until {}", at(f), at(u)),
    }
}

/// The row's colour class, as on the suggestions page.
fn colour(status: RowStatus) -> &'static str {
    match status {
        RowStatus::ToGrant | RowStatus::ToChange => "green",
        RowStatus::ToRevoke => "red",
        _ => "grey",
    }
}

fn yes(window: Option<&Window>, what: &str) -> Markup {
    match window {
        None => html! { "no" },
        Some(w) => {
            let words = window_words(w);
            html! { (what) @if !words.is_empty() { " " span.muted { (words) } } }
        }
    }
}

/// The section, from a view or the reason none could be made.
pub fn section(view: &Result<PersonView, String>) -> Markup {
    html! {
        section.access aria-labelledby="access-per-system" {
            h2 #access-per-system { "Access per system" }
            p.muted { "What a cycle would decide now against what each system holds, as last observed. Nothing here changes access." }
            @match view {
                Err(e) => p.error role="status" { "Access could not be looked up: " (e) },
                Ok(v) => (systems(v)),
            }
        }
    }
}

fn systems(v: &PersonView) -> Markup {
    let several_records = v
        .systems
        .values()
        .flat_map(|s| s.rows.iter().map(|r| r.source.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        > 1;
    html! {
        @if let Some(why) = &v.skipped {
            p.error role="status" { "Nothing could be decided: " (why) }
        }
        @for (name, why) in &v.source_failures {
            p.error role="status" { "Source " (name) " could not be read: " (why) ". Its people keep their access as observed." }
        }
        @for (name, s) in &v.systems {
            (system(name, s, several_records))
        }
    }
}

fn system(name: &str, s: &SystemAccess, several_records: bool) -> Markup {
    html! {
        h3 { (name) }
        @if let Some(why) = &s.failure {
            p.error role="status" { (name) " could not be read: " (why) }
        }
        @if s.rows.is_empty() {
            p.muted { "Should hold nothing here and holds nothing lockstep can see." }
        } @else {
            div.scroll {
                table.access {
                    caption.visually-hidden { "Access of this person in " (name) }
                    thead { tr {
                        th scope="col" { "Group" }
                        th scope="col" { "Should hold" }
                        th scope="col" { "Holds now" }
                        th scope="col" { "Status" }
                    } }
                    tbody { @for r in &s.rows { (row(r, s.failure.is_some(), several_records)) } }
                }
            }
        }
        @match &s.credentials {
            None => {},
            Some(Err(e)) => p.error { (name) ": " (e) },
            Some(Ok(list)) if list.is_empty() => p.muted { "No credential listed in " (name) "." },
            Some(Ok(list)) => p { "Credentials listed in " (name) ": "
                @for (i, c) in list.iter().enumerate() { @if i > 0 { ", " } code { (c.id) } " " span.muted { "(" (c.kind) ")" } } },
        }
    }
}

fn row(r: &AccessRow, unread: bool, several_records: bool) -> Markup {
    let status_class = match r.status {
        RowStatus::ToGrant | RowStatus::ToChange => "status grant",
        RowStatus::ToRevoke => "status revoke",
        _ => "status",
    };
    let should = match (&r.group, r.pin_generation) {
        (None, Some(n)) => yes(r.should.as_ref(), &format!("generation {n}")),
        (None, None) => html! { "none" },
        (Some(_), _) => yes(r.should.as_ref(), "yes"),
    };
    let holds = match (unread, &r.group) {
        (true, _) => html! { span.muted { "unknown" } },
        (false, None) if r.holds.is_none() => html! { "none" },
        // Presence and window only: the value of a PIN is never read into lockstep.
        (false, None) => yes(r.holds.as_ref(), "a PIN"),
        (false, Some(_)) => yes(r.holds.as_ref(), "yes"),
    };
    html! {
        tr class=(colour(r.status)) {
            th scope="row" {
                @match &r.group { Some(g) => (g), None => "PIN" }
                @if several_records { " " span.muted { "(" (r.source) ")" } }
            }
            td { (should) }
            td { (holds) }
            td class=(status_class) { (r.status.words()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{row, window_words};
    use crate::controller::{AccessRow, RowStatus};
    use crate::model::Window;

    #[test]
    fn a_pin_row_says_generation_and_presence_only() {
        let r = AccessRow {
            source: "staff".into(),
            group: None,
            should: Some(Window {
                from: None,
                until: Some(1_796_119_200),
            }),
            pin_generation: Some(2),
            holds: Some(Window::OPEN),
            status: RowStatus::InStep,
        };
        let html = row(&r, false, false).into_string();
        assert!(html.contains("<th scope=\"row\">PIN</th>"), "{html}");
        assert!(
            html.contains("generation 2 <span class=\"muted\">until 2026-12-01 10:00Z</span>"),
            "{html}"
        );
        assert!(
            html.contains("<td>a PIN</td>") && html.contains("in step"),
            "{html}"
        );
        let none = AccessRow {
            should: None,
            pin_generation: None,
            holds: None,
            status: RowStatus::InStep,
            ..r
        };
        let html = row(&none, false, false).into_string();
        assert_eq!(html.matches("<td>none</td>").count(), 2, "{html}");
    }

    #[test]
    fn windows_read_in_minutes_utc() {
        assert_eq!(window_words(&Window::OPEN), "");
        let until = Window {
            from: None,
            until: Some(1_796_119_200),
        };
        assert_eq!(window_words(&until), "until 2026-12-01 10:00Z");
        let both = Window {
            from: Some(1_796_119_200),
            until: Some(1_796_119_230),
        };
        assert_eq!(
            window_words(&both),
            "from 2026-12-01 10:00Z until 2026-12-01 10:00:30Z"
        );
    }
}
