//! The CSV parser: header variants, the status table, per-person problems named by file, line
//! and column, the `property` filter, duplicates, CRLF, quoting, and arbitrary bytes.

use super::*;
use crate::model::{LeaseStatus, PersonRecord, RecordProblem};

mod read;

fn input(property: &str) -> Input<'_> {
    Input {
        file: "staff.csv",
        property,
        delimiter: b',',
    }
}

fn ok(text: &str) -> SourceSnapshot {
    parse(text.as_bytes(), &input("p1")).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    match parse(text.as_bytes(), &input("p1")) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

fn ids(s: &SourceSnapshot) -> Vec<&str> {
    s.people.iter().map(|p| p.id.as_str()).collect()
}

fn problem<'a>(s: &'a SourceSnapshot, id: &str) -> &'a RecordProblem {
    s.problems
        .iter()
        .find(|p| p.person_id == id)
        .unwrap_or_else(|| panic!("no problem for {id}: {:?}", s.problems))
}

const FULL: &str = "\
id,name,email,phone,kind,unit,start,end,status
s1,Ana Diaz,ana@example.com,+1 555 0100,maintenance,,2026-01-05,2026-12-31,active
r1,Ben Ito,,,resident,101,2025-06-01,,current
";

#[test]
fn every_documented_column_is_read() {
    let s = ok(FULL);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.reported_total, None);
    assert_eq!(ids(&s), ["r1", "s1"], "people come sorted by id");
    assert_eq!(
        s.people[1],
        PersonRecord {
            id: "s1".into(),
            name: "Ana Diaz".into(),
            email: Some("ana@example.com".into()),
            phone: Some("+1 555 0100".into()),
            unit: None,
            status: LeaseStatus::Current,
            role: Some("maintenance".into()),
            lease_start: Some(1_767_571_200),
            lease_end: Some(1_798_675_200),
            membership: None,
            visit: None,
        }
    );
    let r = &s.people[0];
    assert_eq!((r.role.as_deref(), r.unit.as_deref()), (None, Some("101")));
    assert_eq!((r.email.as_deref(), r.lease_end), (None, None));
}

#[test]
fn header_variants_read_the_same_people() {
    let base = ok(FULL);
    let variants = [
        // Upper case, spaces around names, the `role` alias, another order.
        "\
 STATUS , End,Start,UNIT,Role,Phone,Email,Name,ID
active,2026-12-31,2026-01-05,,maintenance,+1 555 0100,ana@example.com,Ana Diaz,s1
current,,2025-06-01,101,resident,,,Ben Ito,r1
",
        // A UTF-8 byte-order mark (spreadsheet exports), a notes column and a blank column.
        "\u{feff}id,name,email,phone,kind,unit,start,end,status,# notes,
s1,Ana Diaz,ana@example.com,+1 555 0100,maintenance,,2026-01-05,2026-12-31,active,keys at desk,
r1,Ben Ito,,,resident,101,2025-06-01,,current,,
",
    ];
    for text in variants {
        assert_eq!(ok(text), base, "{text}");
    }
}

#[test]
fn only_id_and_name_are_required() {
    let s = ok("name,id\nAna,a1\n");
    assert_eq!(s.people[0].status, LeaseStatus::Current);
    assert_eq!(s.people[0].role, None);
    for (text, missing) in [
        ("name,email\nAna,a@x\n", "\"id\""),
        ("id\na1\n", "\"name\""),
    ] {
        let e = err(text);
        assert_eq!(
            e,
            format!("staff.csv line 1: the header has no {missing} column")
        );
    }
}

#[test]
fn unknown_and_repeated_columns_fail_the_file_by_name() {
    let e = err("id,name,stauts,floor\na,A,active,3\n");
    assert!(
        e.starts_with("staff.csv line 1: unknown columns \"stauts\", \"floor\""),
        "{e}"
    );
    let e = err("id,name,kind,role\na,A,staff,staff\n");
    assert_eq!(
        e,
        "staff.csv line 1: columns \"kind\" and \"role\" both give the same field"
    );
    assert_eq!(err(""), "staff.csv: no header line");
    assert_eq!(err("\n\r\n"), "staff.csv: no header line");
    assert!(err("\n\nid\n").starts_with("staff.csv line 3: the header has no \"name\""));
    let e = parse(b"id,na\xffme\n", &input("p1")).expect_err("bad utf-8");
    assert!(
        e.contains("line 1, column 2: the header is not UTF-8"),
        "{e}"
    );
}

#[test]
fn each_status_word() {
    let words = [
        ("active", LeaseStatus::Current),
        ("Current", LeaseStatus::Current),
        ("", LeaseStatus::Current),
        ("NOTICE", LeaseStatus::Notice),
        ("pending", LeaseStatus::Future),
        ("future", LeaseStatus::Future),
        ("inactive", LeaseStatus::Past),
        ("terminated", LeaseStatus::Past),
        ("former", LeaseStatus::Past),
        ("past", LeaseStatus::Past),
    ];
    let mut text = String::from("id,name,status\n");
    for (i, (word, _)) in words.iter().enumerate() {
        text.push_str(&format!("p{i:02},Person {i},{word}\n"));
    }
    let s = ok(&text);
    let got: Vec<LeaseStatus> = s.people.iter().map(|p| p.status).collect();
    let want: Vec<LeaseStatus> = words.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want);
}

#[test]
fn an_unknown_status_is_a_problem_for_that_person_only() {
    let s = ok("id,name,status\na,Ana,active\nb,Ben,on leave\nc,Cy,past\n");
    assert_eq!(ids(&s), ["a", "c"]);
    assert_eq!(s.listed(), 3, "the held person still counts for the gate");
    let p = problem(&s, "b");
    assert_eq!(p.kind, RecordProblem::UNKNOWN_STATUS);
    assert!(
        p.detail
            .starts_with("staff.csv line 3, column \"status\": unknown status \"on leave\""),
        "{}",
        p.detail
    );
}

#[test]
fn a_bad_date_is_named_by_line_and_column() {
    let s = ok("id,name,start,end\na,Ana,2026-01-01,\nb,Ben,2026-01-01,2026-13-01\n");
    assert_eq!(ids(&s), ["a"]);
    let p = problem(&s, "b");
    assert_eq!(p.kind, BAD_FIELD);
    assert_eq!(
        p.detail,
        "staff.csv line 3, column \"end\": \"2026-13-01\" is not a date (YYYY-MM-DD)"
    );
    // Several faults in one row are all named; the column keeps the file's spelling.
    let s = ok("ID,Name,Start,Status\nb,,01/02/2026,gone\n");
    assert_eq!(
        problem(&s, "b").detail,
        "staff.csv line 2, column \"name\": empty; staff.csv line 2, column \"Start\": \
         \"01/02/2026\" is not a date (YYYY-MM-DD); staff.csv line 2, column \"status\": unknown \
         status \"gone\" (known: active, current, notice, pending, future, inactive, \
         terminated, former, past, (blank))"
    );
    let s = ok("id,name,start,end\nc,Cy,2026-05-01,2026-04-30\n");
    assert!(problem(&s, "c").detail.contains("is before the start"));
}

#[test]
fn datetimes_are_read_too() {
    let s = ok("id,name,end\na,Ana,2026-03-01T17:30:00-05:00\n");
    assert_eq!(s.people[0].lease_end, Some(1_772_404_200));
}

#[test]
fn the_property_column_filters_rows() {
    let text = "id,name,property\na,Ana,p1\nb,Ben,p2\nc,Cy, p1 \nd,Di,\n";
    let s = parse(text.as_bytes(), &input("p1")).expect("p1");
    assert_eq!(ids(&s), ["a", "c"]);
    // A row naming no property is held (reported) in every property reading the file.
    let d = problem(&s, "d");
    assert_eq!(d.detail, "staff.csv line 5, column \"property\": empty");
    let s = parse(text.as_bytes(), &input("p2")).expect("p2");
    assert_eq!(ids(&s), ["b"]);
    assert_eq!(s.held_people().into_iter().collect::<Vec<_>>(), ["d"]);
    let s = parse(text.as_bytes(), &input("p3")).expect("p3");
    assert_eq!((s.people.len(), s.problems.len()), (0, 1));
    // Without the column, every row belongs to whichever property reads the file.
    let s = parse(b"id,name\na,Ana\n", &input("anything")).expect("no column");
    assert_eq!(ids(&s), ["a"]);
}

#[test]
fn duplicate_ids_are_a_problem_naming_every_line() {
    let s = ok("id,name\na,Ana\nb,Ben\na,Ana Again\nc,Cy\na,Ana Thrice\n");
    assert_eq!(ids(&s), ["b", "c"]);
    let p = problem(&s, "a");
    assert_eq!(p.kind, DUPLICATE_ID);
    assert_eq!(
        p.detail,
        "staff.csv: id \"a\" appears on lines 2, 4 and 6; none of these rows is used"
    );
    let s = ok("id,name\nx,X\nx,X\n");
    assert!(problem(&s, "x").detail.contains("lines 2 and 3"));
    // The same id in two properties of one file is two people, not a duplicate.
    let s = ok("id,name,property\na,Ana,p1\na,Ana,p2\n");
    assert_eq!(ids(&s), ["a"]);
}

#[test]
fn crlf_line_endings_read_the_same() {
    let crlf = FULL.replace('\n', "\r\n");
    assert_eq!(ok(&crlf), ok(FULL));
    let s = ok("id,name,end\r\na,Ana,\r\nb,Ben,nope\r\n");
    assert_eq!(
        problem(&s, "b").detail,
        "staff.csv line 3, column \"end\": \"nope\" is not a date (YYYY-MM-DD)"
    );
}

#[test]
fn quoted_fields_keep_commas_quotes_and_line_breaks() {
    let text = "id,name,unit,end\n\
                \"a,1\",\"Diaz, Ana \"\"Annie\"\"\",\"PH,1\",\n\
                b,\"Ito,\nBen\",,\n\
                c,Cy,,bad\n";
    let s = ok(text);
    assert_eq!(ids(&s), ["a,1", "b"]);
    assert_eq!(s.people[0].name, "Diaz, Ana \"Annie\"");
    assert_eq!(s.people[0].unit.as_deref(), Some("PH,1"));
    assert_eq!(s.people[1].name, "Ito,\nBen");
    // Lines are counted in the file, so a quoted line break moves the next row down.
    assert!(problem(&s, "c").detail.starts_with("staff.csv line 5,"));
}

#[test]
fn other_delimiters() {
    for (d, text) in [
        (b';', "id;name\na;Diaz, Ana\n"),
        (b'\t', "id\tname\na\tDiaz, Ana\n"),
    ] {
        let s = parse(
            text.as_bytes(),
            &Input {
                delimiter: d,
                ..input("p1")
            },
        )
        .expect("parses");
        assert_eq!(s.people[0].name, "Diaz, Ana");
    }
}

#[test]
fn a_row_without_an_id_fails_the_whole_file() {
    let e = err("id,name\na,Ana\n,Ben\n");
    assert!(
        e.starts_with("staff.csv line 3, column \"id\": empty"),
        "{e}"
    );
    let e = parse(b"id,name\n\xff,Ben\n", &input("p1")).expect_err("bad id");
    assert_eq!(e, "staff.csv line 2, column \"id\": not UTF-8 text");
}

#[test]
fn rows_of_the_wrong_width_and_bad_bytes_are_problems_of_their_person() {
    let s = ok("id,name,unit\na,Ana\nb,Ben,1,extra\nc,Cy,2\n");
    assert_eq!(ids(&s), ["c"]);
    assert_eq!(problem(&s, "a").kind, BAD_ROW);
    assert_eq!(
        problem(&s, "b").detail,
        "staff.csv line 3, 4 fields where the header has 3"
    );
    let s = parse(b"id,name\na,An\xffa\nb,Ben\n", &input("p1")).expect("parses");
    assert_eq!(ids(&s), ["b"]);
    assert_eq!(
        problem(&s, "a").detail,
        "staff.csv line 2, column \"name\": not UTF-8 text"
    );
}

#[test]
fn blank_rows_are_skipped_and_a_header_alone_is_nobody() {
    let s = ok("id,name\n\na,Ana\n,\n , \n\nb,\n");
    assert_eq!(ids(&s), ["a"]);
    assert_eq!(
        problem(&s, "b").detail,
        "staff.csv line 7, column \"name\": empty"
    );
    // Classic Mac line ends count as lines too.
    let s = ok("id,name,end\ra,Ana,\rb,Ben,x\r");
    assert!(problem(&s, "b").detail.starts_with("staff.csv line 3,"));
    let s = ok("id,name\n");
    assert_eq!(s.listed(), 0);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&bytes, &input("p1"));
        }

        #[test]
        fn csv_shaped_text_never_panics_and_every_problem_names_the_file(
            rows in proptest::collection::vec("[a-c,\"\\n\\r; 0-9:TZ+\\-é]{0,30}", 0..12),
            header in "(id|name|status|end|start|property|kind|role|x|#n| |,)+",
        ) {
            let text = format!("{header}\n{}", rows.join("\n"));
            match parse(text.as_bytes(), &input("p1")) {
                Ok(s) => {
                    for p in &s.problems {
                        prop_assert!(p.detail.contains("staff.csv"), "{}", p.detail);
                    }
                }
                Err(e) => prop_assert!(e.starts_with("staff.csv"), "{}", e),
            }
        }
    }
}

#[test]
fn the_readme_example_reads_without_problems() {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("```csv\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a csv block in README.md");
    let s = ok(block);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let statuses: Vec<(&str, LeaseStatus, Option<&str>)> = s
        .people
        .iter()
        .map(|p| (p.id.as_str(), p.status, p.role.as_deref()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("c-221", LeaseStatus::Current, Some("contractor")),
            ("r-9", LeaseStatus::Notice, None),
            ("s-104", LeaseStatus::Current, Some("maintenance")),
        ]
    );
}
