//! Golden tests of the `GetResidents` parser. The fixtures are written by hand from the element
//! names the public clients map (Credit-Jeeves/validation-bundle `Services/Yardi/Soap/*.php`,
//! the Ruby `YardiUsersDataService`, the Python client's `UnitCode`), not produced by lockstep's
//! simulator, so the simulator and the parser cannot agree on a shared mistake here.

use super::*;
use crate::model::LeaseStatus;
use proptest::prelude::*;

mod sim;

/// A whole answer in the public clients' layout around the given `Resident` elements, with the
/// whitespace, namespace prefixes and `xmlns=""` a real service writes.
fn answer(property_attr: &str, residents: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <soap:Body>
    <GetResidentsResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData">
      <GetResidentsResult>
        <MITS-ResidentData xmlns="">
          <PropertyResidents{property_attr}>
            <Residents>{residents}
            </Residents>
          </PropertyResidents>
        </MITS-ResidentData>
      </GetResidentsResult>
    </GetResidentsResponse>
  </soap:Body>
</soap:Envelope>
"#
    )
}

/// Three residents: a current one with two phones (the first empty) and an other occupant whose
/// names must not leak into the resident; one on notice with a move-out date; a future one with
/// an escaped name and no phone.
const THREE: &str = r#"
              <Resident tCode="t0001234">
                <Status>Current</Status>
                <FirstName>Ada</FirstName>
                <LastName>Okafor</LastName>
                <Email>ada@example.test</Email>
                <Phone Type="home"><PhoneNumber></PhoneNumber></Phone>
                <Phone Type="cell"><PhoneNumber>5551230001</PhoneNumber></Phone>
                <UnitCode>101</UnitCode>
                <LeaseFromDate>07/05/2023</LeaseFromDate>
                <LeaseToDate>07/04/2024</LeaseToDate>
                <MoveInDate>07/05/2023</MoveInDate>
                <MoveOutDate></MoveOutDate>
                <OtherOccupants>
                  <OtherOccupant Code="o0000001">
                    <FirstName>Kid</FirstName>
                    <LastName>Okafor</LastName>
                    <MoveInDate>01/01/2020</MoveInDate>
                  </OtherOccupant>
                </OtherOccupants>
              </Resident>
              <Resident tCode="t0001235">
                <Status>Notice</Status>
                <FirstName>Ben</FirstName>
                <LastName>Lindqvist</LastName>
                <Email>ben@example.test</Email>
                <Phone Type="cell"><PhoneNumber>5551230002</PhoneNumber></Phone>
                <UnitCode>102</UnitCode>
                <LeaseFromDate>1/15/2022</LeaseFromDate>
                <LeaseToDate>01/14/2025</LeaseToDate>
                <MoveInDate>01/15/2022</MoveInDate>
                <MoveOutDate>12/31/2024</MoveOutDate>
              </Resident>
              <Resident tCode="t0001236">
                <Status>Future</Status>
                <FirstName>Chlo&#233; &amp; Co</FirstName>
                <LastName><![CDATA[Moreau]]></LastName>
                <UnitCode>103</UnitCode>
                <LeaseFromDate>03/01/2025</LeaseFromDate>
                <LeaseToDate>02/28/2026</LeaseToDate>
              </Resident>"#;

fn resident(code: &str, status: &str, extra: &str) -> String {
    format!(
        r#"
              <Resident tCode="{code}">
                <Status>{status}</Status>
                <FirstName>F{code}</FirstName>
                <LastName>L{code}</LastName>
                <UnitCode>1{code}</UnitCode>{extra}
              </Resident>"#
    )
}

fn parse(doc: &str) -> Result<SourceSnapshot, SourceError> {
    parse_residents(doc, "prop01", "yardi")
}

const DAY: i64 = 86_400;

#[test]
fn a_normal_answer_maps_every_field() {
    let snap = parse(&answer("", THREE)).expect("golden answer");
    assert_eq!(snap.reported_total, None);
    assert!(snap.problems.is_empty());
    let [ada, ben, chloe] = &snap.people[..] else {
        panic!("three residents: {:?}", snap.people);
    };
    assert_eq!(ada.id, "t0001234");
    assert_eq!(ada.name, "Ada Okafor");
    assert_eq!(ada.email.as_deref(), Some("ada@example.test"));
    assert_eq!(ada.phone.as_deref(), Some("5551230001"), "first non-empty");
    assert_eq!(ada.unit.as_deref(), Some("101"));
    assert_eq!(ada.status, LeaseStatus::Current);
    assert_eq!(ada.role, None);
    assert_eq!(ada.lease_start, Some(1_688_515_200)); // 2023-07-05
    assert_eq!(ada.lease_end, Some(1_688_515_200 + 365 * DAY)); // 2024-07-04
    assert_eq!(ben.status, LeaseStatus::Notice);
    assert_eq!(ben.lease_start, Some(1_642_204_800)); // 2022-01-15, one-digit month
    assert_eq!(
        ben.lease_end,
        Some(1_735_603_200),
        "notice ends at MoveOutDate"
    );
    assert_eq!(chloe.name, "Chloé & Co Moreau");
    assert_eq!(chloe.status, LeaseStatus::Future);
    assert_eq!(chloe.phone, None);
}

#[test]
fn every_status_word_maps_as_the_table_says() {
    use LeaseStatus::*;
    let table = [
        ("Current", Current),
        ("Notice", Notice),
        ("Future", Future),
        ("Applicant", Future),
        ("Past", Past),
        ("Former", Past),
        ("Eviction", Current),
        ("Denied", Future),
        ("Canceled", Future),
        ("  current  ", Current),
        ("NOTICE", Notice),
        ("eViCtIoN", Current),
    ];
    let residents: String = table
        .iter()
        .enumerate()
        .map(|(i, (word, _))| resident(&format!("t{i}"), word, ""))
        .collect();
    let snap = parse(&answer("", &residents)).expect("every word");
    assert!(snap.problems.is_empty(), "{:?}", snap.problems);
    for (i, (word, want)) in table.iter().enumerate() {
        assert_eq!(snap.people[i].status, *want, "{word:?}");
    }
}

#[test]
fn an_unknown_status_holds_that_person_only() {
    let residents = [
        resident("t1", "Current", ""),
        resident("t2", "Hold", ""),
        resident("t3", "", ""),
        r#"<Resident tCode="t4"><FirstName>No</FirstName><LastName>Status</LastName></Resident>"#
            .to_string(),
        r#"<Resident tCode="t5"/>"#.to_string(),
    ]
    .concat();
    let snap = parse(&answer("", &residents)).expect("one bad word is not a bad answer");
    assert_eq!(snap.people.len(), 1);
    assert_eq!(snap.listed(), 5);
    let held: Vec<(&str, &str, &str)> = snap
        .problems
        .iter()
        .map(|p| (p.person_id.as_str(), p.kind.as_str(), p.detail.as_str()))
        .collect();
    assert_eq!(
        held,
        [
            ("t2", "unknown_status", r#"unknown Status "Hold""#),
            ("t3", "unknown_status", r#"unknown Status """#),
            ("t4", "unknown_status", r#"unknown Status """#),
            ("t5", "unknown_status", r#"unknown Status """#),
        ]
    );
}

#[test]
fn a_bad_date_names_the_tcode_and_the_field() {
    for (field, value) in [
        ("LeaseToDate", "2024-07-04"),
        ("MoveOutDate", "13/01/2024"),
        ("LeaseFromDate", "02/30/2024"),
    ] {
        let extra = format!("\n<{field}>{value}</{field}>");
        let doc = answer("", &resident("t0009", "Current", &extra));
        let err = parse(&doc).expect_err(field);
        assert_eq!(err.kind(), "payload", "{err}");
        let text = err.to_string();
        for part in ["yardi", "prop01", "GetResidents", "t0009", field, value] {
            assert!(text.contains(part), "{part:?} missing from {text}");
        }
    }
}

#[test]
fn business_errors_and_soap_faults_are_source_faults() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
  <GetResidentsResponse xmlns="http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData">
    <GetResidentsResult><Messages><Message messageType="Error">Invalid Yardi Property Id</Message></Messages></GetResidentsResult>
  </GetResidentsResponse></soap:Body></soap:Envelope>"#;
    let err = parse(doc).expect_err("business error");
    assert_eq!(err.kind(), "fault");
    assert!(
        err.to_string().contains("Invalid Yardi Property Id"),
        "{err}"
    );
    // A message that is not an error does not spoil the data next to it.
    let info = answer("", THREE).replace(
        "<MITS-ResidentData",
        r#"<Messages><Message messageType="Info">fyi</Message></Messages><MITS-ResidentData"#,
    );
    assert_eq!(parse(&info).expect("info").people.len(), 3);
    let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request.</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
    let err = parse(fault).expect_err("fault");
    assert_eq!(err.kind(), "fault");
    assert!(err.to_string().contains("unable to process"), "{err}");
}

#[test]
fn a_document_cut_anywhere_after_its_data_begins_is_incomplete() {
    let doc = answer("", THREE);
    let from = doc.find("<MITS-ResidentData").expect("data");
    let to = doc.rfind('>').expect("end");
    for cut in (from..to).filter(|c| doc.is_char_boundary(*c)) {
        let err = parse(&doc[..cut]).expect_err("cut");
        assert_eq!(err.kind(), "incomplete", "cut at {cut}: {err}");
    }
    assert!(parse(&doc[..=to]).is_ok());
}

#[test]
fn the_answer_must_be_for_the_property_asked_for() {
    assert!(parse(&answer(r#" PropertyId="PROP01""#, THREE)).is_ok());
    for attr in [r#" PropertyId="prop02""#, r#" YardiPropertyId="x""#] {
        let err = parse(&answer(attr, THREE)).expect_err(attr);
        assert_eq!(err.kind(), "payload", "{err}");
        assert!(err.to_string().contains("not the one asked for"), "{err}");
    }
    let by_child = answer("", THREE).replace(
        "<Residents>",
        r#"<Identification IDValue="prop02"/><Residents>"#,
    );
    assert_eq!(parse(&by_child).expect_err("child").kind(), "payload");
}

#[test]
fn structural_faults_are_payload_errors() {
    let dup = answer(
        "",
        &[resident("t1", "Current", ""), resident("t1", "Past", "")].concat(),
    );
    let err = parse(&dup).expect_err("duplicate");
    assert!(
        err.to_string().contains(r#"tCode "t1" appears twice"#),
        "{err}"
    );
    let no_code = answer("", &THREE.replacen(r#" tCode="t0001235""#, "", 1));
    let err = parse(&no_code).expect_err("no tCode");
    assert!(err.to_string().contains("resident 2: no tCode"), "{err}");
    for (doc, kind) in [
        ("", "payload"),
        ("garbage", "payload"),
        ("<a><b>", "incomplete"),
        ("<soap:Envelope><soap:Body/></soap:Envelope>", "payload"),
    ] {
        let err = parse(doc).expect_err(doc);
        assert_eq!(err.kind(), kind, "{doc:?}: {err}");
    }
    let empty = answer("", "");
    assert_eq!(parse(&empty).expect("empty list").listed(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_text(s in ".{0,400}") {
        let _ = parse(&s);
    }

    #[test]
    fn parser_never_panics_on_damaged_documents(cut in 0usize..4000, flips in prop::collection::vec((0usize..4000, any::<u8>()), 0..4)) {
        let mut bytes = answer("", THREE).into_bytes();
        for (i, b) in flips {
            let n = bytes.len();
            bytes[i % n] = b;
        }
        bytes.truncate(cut.min(bytes.len()));
        let text = String::from_utf8_lossy(&bytes);
        match parse(&text) {
            Ok(snap) => {
                let mut ids: Vec<&str> = snap.people.iter().map(|p| p.id.as_str())
                    .chain(snap.problems.iter().map(|p| p.person_id.as_str())).collect();
                let n = ids.len();
                ids.sort_unstable();
                ids.dedup();
                prop_assert_eq!(ids.len(), n, "duplicate ids accepted");
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
