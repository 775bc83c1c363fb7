//! Yardi Voyager simulator: SOAP 1.1 `ItfResidentData.asmx` `GetResidents` over the shared source
//! state. Credentials travel in the body as in Voyager (VENDORS.md, P); the result layout is a
//! MITS-like assumption (G): `ResidentData/Property/Customers[@Count]/Customer`, with errors as
//! `Messages/Message[@messageType="Error"]` inside the result (HTTP 200) and malformed requests
//! answered with a SOAP Fault (HTTP 500).

use super::world::{SimProperty, SourceState};
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
    let rendered = {
        let state = read(&sim.state);
        let Some(p) = state.properties.iter().find(|p| p.id == property) else {
            return error_result(&format!(
                "Property {property} not found or not licensed for this interface"
            ));
        };
        if faults.empty {
            render_residents(
                &SimProperty {
                    people: vec![],
                    ..p.clone()
                },
                None,
            )
        } else if faults.first_page_only {
            render_residents(p, Some(p.people.len() / 2))
        } else {
            render_residents(p, None)
        }
    };
    let mut body = result(&rendered);
    if faults.truncate_pages {
        // A proxy cut the response off.
        let mut cut = body.len() * 6 / 10;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    xml(StatusCode::OK, body)
}

fn status_name(status: &str) -> &str {
    match status {
        "current" => "Current",
        "notice" => "Notice",
        "future" => "Future",
        "past" => "Past",
        other => other,
    }
}

/// Renders a property's people as `ResidentData`; `only` sends fewer customers than `Count`
/// claims (a short read).
pub fn render_residents(p: &SimProperty, only: Option<usize>) -> String {
    let mut out = String::with_capacity(300 * p.people.len() + 200);
    let _ = write!(
        out,
        r#"<ResidentData><Property><PropertyID><Identification IDValue="{}"/><MarketingName>{}</MarketingName></PropertyID><Customers Count="{}">"#,
        escape(p.id.as_str()),
        escape(p.name.as_str()),
        p.people.len()
    );
    for person in p.people.iter().take(only.unwrap_or(usize::MAX)) {
        let (first, last) = person
            .name
            .split_once(' ')
            .unwrap_or((person.name.as_str(), ""));
        let _ = write!(
            out,
            r#"<Customer Type="resident"><CustomerID>{}</CustomerID><Name><FirstName>{}</FirstName><LastName>{}</LastName></Name>"#,
            escape(person.id.as_str()),
            escape(first),
            escape(last)
        );
        let opt = |out: &mut String, tag: &str, v: &Option<String>| {
            if let Some(v) = v {
                let _ = write!(out, "<{tag}>{}</{tag}>", escape(v.as_str()));
            }
        };
        opt(&mut out, "Email", &person.email);
        if let Some(phone) = &person.phone {
            let _ = write!(
                out,
                "<Phone><PhoneNumber>{}</PhoneNumber></Phone>",
                escape(phone.as_str())
            );
        }
        opt(&mut out, "Unit", &person.unit);
        let _ = write!(out, "<Status>{}</Status>", status_name(&person.status));
        opt(&mut out, "Role", &person.role);
        out.push_str("<Lease>");
        opt(&mut out, "LeaseFromDate", &person.lease_start);
        opt(&mut out, "LeaseToDate", &person.lease_end);
        if person.status == "notice" {
            opt(&mut out, "ExpectedMoveOutDate", &person.lease_end);
        }
        out.push_str("</Lease></Customer>");
    }
    out.push_str("</Customers></Property></ResidentData>");
    out
}
