//! Yardi Voyager simulator: SOAP 1.1 `ItfResidentData.asmx` `GetResidents` over the shared source
//! state, built from the public clients' reading of the real answer, never from lockstep's
//! connector. Sources (VENDORS.md "Corrections, 2026-11-23"):
//! - CJ: Credit-Jeeves/validation-bundle `src/RentJeeves/ExternalApiBundle/Services/Yardi/`
//!   `Clients/ResidentDataClient.php`, `Soap/GetResidentsResponse.php`,
//!   `Soap/PropertyResidents.php`, `Soap/Residents.php`, `Soap/ResidentsResident.php`,
//!   `Soap/Message.php`, `Soap/Messages.php`;
//! - RB: the Ruby `YardiUsersDataService` that reads `GetResidentsResponse/GetResidentsResult/
//!   MITS-ResidentData/PropertyResidents/Residents/Resident` by position;
//! - PY: the Python "Yardi PMS SOAP Client" (`UnitCode`, `GetResidentsByStatus`);
//! - GC: neerajrana8/GetCovered `app/interactions/integrations/yardi/resident_data/base.rb`.
//!
//! Errors travel as `Messages/Message[@messageType="Error"]` inside the result with HTTP 200
//! (CJ `Message.php`, `Messages.php`); a request the service cannot read gets a SOAP Fault with
//! HTTP 500 (SOAP 1.1 itself). `GetResidentsByStatus` (PY) is not simulated: lockstep does not
//! call it, because it needs every resident of a property in one answer.

use super::world::{SimPerson, SimProperty, SourceState};
use super::{control_plane, fault_layer, read, secret_eq, SimCore};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use quick_xml::escape::escape;
use std::fmt::Write as _;
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub struct YardiSim {
    pub core: Arc<SimCore>,
    pub state: Arc<RwLock<SourceState>>,
}

impl YardiSim {
    pub const USERNAME: &'static str = "sim-yardi";
    pub const PASSWORD: &'static str = "sim-yardi-password";
    pub const LICENSE: &'static str = "sim-interface-license";

    pub fn new(state: SourceState, seed: u64) -> Self {
        YardiSim {
            core: SimCore::new("yardi_voyager", seed, super::throttle_429),
            state: Arc::new(RwLock::new(state)),
        }
    }

    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/webservices/ItfResidentData.asmx", post(get_residents))
            .with_state(self.clone())
            .layer(axum::middleware::from_fn_with_state(
                self.core.clone(),
                fault_layer,
            ));
        api.merge(control_plane(self.core.clone(), self.state.clone()))
    }
}

const ENVELOPE_START: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>"#;
const ENVELOPE_END: &str = "</soap:Body></soap:Envelope>";

fn xml(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "text/xml; charset=utf-8")], body).into_response()
}

fn fault(message: &str) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, format!("{ENVELOPE_START}<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{}</faultstring></soap:Fault>{ENVELOPE_END}", escape(message)))
}

/// The envelope and wrapper elements: CJ `ResidentDataClient.php` maps the `GetResidents`
/// operation to `GetResidentsResult`; RB reads `soap:Envelope/soap:Body/GetResidentsResponse/
/// GetResidentsResult`; the namespace is GC's `xmlns`.
fn result(inner: &str) -> String {
    format!(
        r#"{ENVELOPE_START}<GetResidentsResponse xmlns="{}"><GetResidentsResult>{inner}</GetResidentsResult></GetResidentsResponse>{ENVELOPE_END}"#,
        crate::source::yardi::NAMESPACE
    )
}

fn error_result(message: &str) -> Response {
    xml(
        StatusCode::OK,
        result(&format!(
            r#"<Messages><Message messageType="Error">{}</Message></Messages>"#,
            escape(message)
        )),
    )
}

/// The text of the first `<name>…</name>` in a request body (requests are small and flat).
fn field(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    quick_xml::escape::unescape(&body[start..end])
        .ok()
        .map(|s| s.to_string())
}

/// `GetResidents`: credentials and `YardiPropertyId` in the body (GC `base.rb`, CJ
/// `AbstractClient.php`/`ResidentDataClient.php`); the error texts are assumptions.
async fn get_residents(State(sim): State<YardiSim>, body: String) -> Response {
    if !body.contains("GetResidents") {
        return fault("Server did not recognize the request: expected GetResidents");
    }
    let (Some(user), Some(password), Some(license), Some(property)) = (
        field(&body, "UserName"),
        field(&body, "Password"),
        field(&body, "InterfaceLicense"),
        field(&body, "YardiPropertyId"),
    ) else {
        return fault("Missing UserName, Password, InterfaceLicense or YardiPropertyId");
    };
    if !(secret_eq(&user, YardiSim::USERNAME) && secret_eq(&password, YardiSim::PASSWORD)) {
        return error_result("Invalid User Name or Password");
    }
    if !secret_eq(&license, YardiSim::LICENSE) {
        return error_result("Invalid Interface Entity / License");
    }
    let faults = sim.core.faults();
    let (rendered, cut_at) = {
        let state = read(&sim.state);
        let Some(p) = state.properties.iter().find(|p| p.id == property) else {
            return error_result(&format!(
                "Property {property} not found or not licensed for this interface"
            ));
        };
        let shown = if faults.empty { 0 } else { usize::MAX };
        render_residents(p, shown)
    };
    let mut body = result(&rendered);
    if faults.truncate_pages {
        // Assumption: a proxy cut the response off somewhere in the middle.
        let mut cut = body.len() * 6 / 10;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    } else if faults.first_page_only {
        // Assumption: GetResidents has no pages (VENDORS.md: one call per property), so the
        // only short read is a body that stops early; this one stops cleanly after half the
        // residents, so only the unclosed tags give it away.
        let start = body.find("<MITS-ResidentData").unwrap_or(0);
        body.truncate(start + cut_at);
    }
    xml(StatusCode::OK, body)
}

/// Voyager's word for a shared-state status. The four lockstep words are rendered as Voyager
/// spells them (VENDORS.md: Current, Notice, Future, Past seen in public clients); anything else
/// passes through verbatim so tests can inject Eviction, Applicant or unknown words.
fn status_word(status: &str) -> &str {
    match status {
        "current" => "Current",
        "notice" => "Notice",
        "future" => "Future",
        "past" => "Past",
        other => other,
    }
}

/// `YYYY-MM-DD` (shared state) → `MM/DD/YYYY` (CJ `ResidentsResident.php` reads `m/d/Y`; RB
/// converts from `MM/DD/YYYY`). Text that is not such a date passes through, so tests can
/// inject bad dates.
fn us_date(iso: &str) -> String {
    match iso.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => format!("{m}/{d}/{y}"),
        _ => iso.to_string(),
    }
}

fn element(out: &mut String, tag: &str, value: Option<&str>) {
    if let Some(v) = value {
        let _ = write!(out, "<{tag}>{}</{tag}>", escape(v));
    }
}

/// One `Resident` (CJ `ResidentsResident.php`: attribute `tCode`, children `Status`,
/// `FirstName`, `LastName`, `Email`, `MoveInDate`, `MoveOutDate`; RB adds `Phone/PhoneNumber`
/// twice and `LeaseFromDate`, `LeaseToDate`, in that order; PY adds `UnitCode`).
fn render_resident(out: &mut String, person: &SimPerson) {
    let (first, last) = person
        .name
        .split_once(' ')
        .unwrap_or((person.name.as_str(), ""));
    let _ = write!(
        out,
        r#"<Resident tCode="{}"><Status>{}</Status><FirstName>{}</FirstName><LastName>{}</LastName>"#,
        escape(person.id.as_str()),
        escape(status_word(&person.status)),
        escape(first),
        escape(last)
    );
    element(out, "Email", person.email.as_deref());
    // RB reads a "personal" then an "other" phone; the first is left empty here so readers must
    // take the first non-empty one. The `Type` attribute is an assumption.
    out.push_str(r#"<Phone Type="home"><PhoneNumber></PhoneNumber></Phone>"#);
    if let Some(phone) = &person.phone {
        let _ = write!(
            out,
            r#"<Phone Type="cell"><PhoneNumber>{}</PhoneNumber></Phone>"#,
            escape(phone.as_str())
        );
    }
    element(out, "UnitCode", person.unit.as_deref());
    let start = person.lease_start.as_deref().map(us_date);
    let end = person.lease_end.as_deref().map(us_date);
    element(out, "LeaseFromDate", start.as_deref());
    element(out, "LeaseToDate", end.as_deref());
    // Assumption: the move-in date is the lease start; a move-out date exists once notice is
    // given or the resident has left, and equals the lease end here.
    if status_word(&person.status) != "Future" {
        element(out, "MoveInDate", start.as_deref());
    }
    if matches!(person.status.as_str(), "notice" | "past") {
        element(out, "MoveOutDate", end.as_deref());
    }
    out.push_str("</Resident>");
}

/// Renders a property as `MITS-ResidentData` (CJ `GetResidentsResponse.php` root,
/// `PropertyResidents.php`, `Residents.php`: `Residents` holds the `Resident` list inline).
/// Renders at most `shown` residents; returns the text and the byte offset just after the
/// first half of them (where `first_page_only` cuts). People with a staff `role` are left out:
/// assumption, `GetResidents` lists tenants, not staff. The property id travels as the
/// `PropertyId` attribute of `PropertyResidents`: assumption (RB's positional read shows
/// `PropertyResidents` carries attributes; no public client names them). `xmlns=""` on
/// `MITS-ResidentData` follows a public `GetResidentData` capture.
pub fn render_residents(p: &SimProperty, shown: usize) -> (String, usize) {
    let mut out = String::with_capacity(400 * p.people.len() + 200);
    let _ = write!(
        out,
        r#"<MITS-ResidentData xmlns=""><PropertyResidents PropertyId="{}"><Residents>"#,
        escape(p.id.as_str())
    );
    let residents: Vec<&SimPerson> = p
        .people
        .iter()
        .filter(|x| x.role.is_none())
        .take(shown)
        .collect();
    let mut half = out.len();
    for (i, person) in residents.iter().enumerate() {
        render_resident(&mut out, person);
        if i + 1 == residents.len() / 2 {
            half = out.len();
        }
    }
    out.push_str("</Residents></PropertyResidents></MITS-ResidentData>");
    (out, half)
}
