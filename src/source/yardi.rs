//! Yardi Voyager: SOAP `ItfResidentData.asmx` `GetResidents`, credentials in the body (VENDORS.md,
//! confidence P). The response layout inside `GetResidentsResult` is MITS-like and an
//! assumption (G): `ResidentData/Property/Customers[@Count]/Customer`, see `sim::yardi`.
//!
//! The configured `url` is the Voyager base; the connector POSTs to
//! `{url}/webservices/ItfResidentData.asmx` (a url already ending in `.asmx` is used as is).

use crate::config::YardiConfig;
use crate::model::{LeaseStatus, PersonRecord, SourceSnapshot};
use crate::net::{HttpClient, ResponseHook};
use crate::source::{Source, SourceError};
use async_trait::async_trait;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use reqwest::Method;
use std::collections::BTreeSet;

pub const SOAP_ACTION: &str =
    "http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData/GetResidents";
pub const NAMESPACE: &str = "http://tempuri.org/YSI.Interfaces.WebServices/ItfResidentData";

pub struct YardiVoyager {
    http: HttpClient,
    path: String,
    cfg: YardiConfig,
}

impl YardiVoyager {
    pub fn new(
        name: &str,
        cfg: &YardiConfig,
        hook: Option<ResponseHook>,
    ) -> Result<YardiVoyager, String> {
        let (base, path) = if cfg.endpoint.url.to_ascii_lowercase().ends_with(".asmx") {
            (cfg.endpoint.url.clone(), String::new())
        } else {
            (
                cfg.endpoint.url.clone(),
                "/webservices/ItfResidentData.asmx".to_string(),
            )
        };
        let mut http = HttpClient::new(
            name,
            &base,
            cfg.endpoint.timeout,
            cfg.endpoint.requests_per_second,
        )?;
        if let Some(hook) = hook {
            http = http.with_hook(hook);
        }
        Ok(YardiVoyager {
            http,
            path,
            cfg: cfg.clone(),
        })
    }

    fn envelope(&self, property: &str) -> String {
        let c = &self.cfg;
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetResidents xmlns="{NAMESPACE}"><UserName>{}</UserName><Password>{}</Password><ServerName>{}</ServerName><Database>{}</Database><Platform>{}</Platform><InterfaceEntity>{}</InterfaceEntity><InterfaceLicense>{}</InterfaceLicense><YardiPropertyId>{}</YardiPropertyId></GetResidents></soap:Body></soap:Envelope>"#,
            escape(c.username.as_str()),
            escape(c.password.value.as_str()),
            escape(c.server_name.as_str()),
            escape(c.database.as_str()),
            escape(c.platform.as_str()),
            escape(c.interface_entity.as_str()),
            escape(c.interface_license.value.as_str()),
            escape(property),
        )
    }
}

#[async_trait]
impl Source for YardiVoyager {
    fn kind(&self) -> &'static str {
        "yardi_voyager"
    }

    async fn fetch(&self, property: &str) -> Result<SourceSnapshot, SourceError> {
        let request = self
            .http
            .request(Method::POST, &self.path)
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", format!("\"{SOAP_ACTION}\""))
            .body(self.envelope(property));
        let reply = match self
            .http
            .send(
                Method::POST,
                "/webservices/ItfResidentData.asmx GetResidents",
                request,
            )
            .await
        {
            Ok(r) => r,
            // A SOAP fault travels as a 500 with a body worth reading.
            Err(crate::net::NetError::Status {
                status: 500,
                message,
                ..
            }) if message.contains("Fault") || message.contains("faultstring") => {
                return Err(SourceError::Fault {
                    source_name: self.http.name.clone(),
                    property: property.into(),
                    detail: fault_text(&message),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let text = String::from_utf8_lossy(&reply.body);
        parse_residents(&text, property, &self.http.name)
    }
}

fn fault_text(body: &str) -> String {
    body.split_once("<faultstring>")
        .and_then(|(_, rest)| rest.split_once("</faultstring>"))
        .map(|(t, _)| t.to_string())
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// The customer being read.
#[derive(Default)]
struct Customer {
    id: Option<String>,
    first: String,
    last: String,
    email: Option<String>,
    phone: Option<String>,
    unit: Option<String>,
    status: Option<String>,
    role: Option<String>,
    from: Option<String>,
    to: Option<String>,
    move_out: Option<String>,
}

fn status_of(text: &str) -> Option<LeaseStatus> {
    match text.trim().to_ascii_lowercase().as_str() {
        "current" => Some(LeaseStatus::Current),
        "notice" => Some(LeaseStatus::Notice),
        "future" | "applicant" | "approved" => Some(LeaseStatus::Future),
        "past" | "former" | "evicted" => Some(LeaseStatus::Past),
        _ => None,
    }
}

/// Parses a `GetResidents` SOAP response. Pure, so it can be fuzzed. A short or malformed
/// document is an error: a silently dropped person would be revoked.
pub fn parse_residents(
    xml: &str,
    property: &str,
    source_name: &str,
) -> Result<SourceSnapshot, SourceError> {
    let payload = |detail: String| SourceError::Payload {
        source_name: source_name.into(),
        property: property.into(),
        detail,
    };
    let incomplete = |detail: String| SourceError::Incomplete {
        source_name: source_name.into(),
        property: property.into(),
        detail,
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let (mut people, mut seen) = (Vec::new(), BTreeSet::new());
    let (mut count, mut customer, mut errors, mut fault) =
        (None::<usize>, None::<Customer>, Vec::new(), None::<String>);
    let mut error_message = false;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let detail = format!("XML error at byte {position}: {e}");
            if matches!(e, quick_xml::Error::Syntax(_))
                || position as usize >= xml.len().saturating_sub(1)
            {
                incomplete(detail)
            } else {
                payload(detail)
            }
        })?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                match name.as_str() {
                    "Customers" => {
                        count = Some(
                            attr_count(&e)
                                .map_err(|d| payload(format!("Customers/@Count: {d}")))?,
                        )
                    }
                    "Customer" => customer = Some(Customer::default()),
                    "Message" => {
                        error_message = e.attributes().flatten().any(|a| {
                            a.key.local_name().as_ref() == b"messageType"
                                && a.value.as_ref() == b"Error"
                        })
                    }
                    _ => {}
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                match name.as_str() {
                    "Customers" => {
                        count = Some(
                            attr_count(&e)
                                .map_err(|d| payload(format!("Customers/@Count: {d}")))?,
                        )
                    }
                    "Customer" => {
                        return Err(payload(format!("customer {} is empty", people.len() + 1)))
                    }
                    _ => {}
                }
            }
            Event::Text(t) => text.push_str(
                &t.xml_content()
                    .map_err(|e| payload(format!("text at byte {position}: {e}")))?,
            ),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| payload(e.to_string()))?;
                match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => {
                            return Err(payload(format!(
                                "unknown entity &{name}; at byte {position}"
                            )))
                        }
                    },
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let value = std::mem::take(&mut text).trim().to_string();
                let nonempty = (!value.is_empty()).then(|| value.clone());
                if name == "faultstring" {
                    fault = Some(value);
                } else if name == "Message" && error_message {
                    errors.push(value);
                    error_message = false;
                } else if name == "Customer" {
                    let c = customer.take().unwrap_or_default();
                    people.push(finish(c, people.len() + 1, &mut seen).map_err(payload)?);
                } else if let Some(c) = customer.as_mut() {
                    match name.as_str() {
                        "CustomerID" => c.id = nonempty,
                        "FirstName" => c.first = value,
                        "LastName" => c.last = value,
                        "Email" => c.email = nonempty,
                        "PhoneNumber" | "Phone" if c.phone.is_none() => c.phone = nonempty,
                        "Unit" | "UnitID" => c.unit = nonempty,
                        "Status" => c.status = nonempty,
                        "Role" => c.role = nonempty,
                        "LeaseFromDate" => c.from = nonempty,
                        "LeaseToDate" => c.to = nonempty,
                        "ExpectedMoveOutDate" => c.move_out = nonempty,
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(f) = fault {
        return Err(SourceError::Fault {
            source_name: source_name.into(),
            property: property.into(),
            detail: f,
        });
    }
    if !errors.is_empty() {
        return Err(SourceError::Fault {
            source_name: source_name.into(),
            property: property.into(),
            detail: errors.join("; "),
        });
    }
    if !stack.is_empty() {
        return Err(incomplete(format!(
            "the document ends inside <{}> after {} customers (cut off)",
            stack.join("/"),
            people.len()
        )));
    }
    let Some(total) = count else {
        return Err(payload(
            "no <Customers Count=\"…\"> element: not a GetResidents response".into(),
        ));
    };
    if total != people.len() {
        return Err(incomplete(format!(
            "Customers/@Count says {total} but {} were sent",
            people.len()
        )));
    }
    Ok(SourceSnapshot {
        people,
        reported_total: Some(total),
    })
}

fn attr_count(e: &quick_xml::events::BytesStart<'_>) -> Result<usize, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == b"Count" {
            return String::from_utf8_lossy(&a.value)
                .trim()
                .parse()
                .map_err(|_| format!("{:?} is not a number", String::from_utf8_lossy(&a.value)));
        }
    }
    Err("missing".into())
}

fn finish(c: Customer, n: usize, seen: &mut BTreeSet<String>) -> Result<PersonRecord, String> {
    let id =
        c.id.ok_or_else(|| format!("customer {n}: missing CustomerID"))?;
    if !seen.insert(id.clone()) {
        return Err(format!("customer {n}: CustomerID {id:?} appears twice"));
    }
    let status_text = c
        .status
        .ok_or_else(|| format!("customer {n} ({id}): missing Status"))?;
    let status = status_of(&status_text)
        .ok_or_else(|| format!("customer {n} ({id}): unknown Status {status_text:?}"))?;
    let date = |field: &str, v: Option<String>| -> Result<Option<i64>, String> {
        v.map(|d| {
            crate::sim::world::parse_date(&d).ok_or_else(|| {
                format!("customer {n} ({id}): {field} {d:?} is not a date (YYYY-MM-DD)")
            })
        })
        .transpose()
    };
    let lease_start = date("LeaseFromDate", c.from)?;
    let lease_to = date("LeaseToDate", c.to)?;
    let move_out = date("ExpectedMoveOutDate", c.move_out)?;
    let name = format!("{} {}", c.first, c.last).trim().to_string();
    Ok(PersonRecord {
        name: if name.is_empty() { id.clone() } else { name },
        id,
        email: c.email,
        phone: c.phone,
        unit: c.unit,
        status,
        role: c
            .role
            .filter(|r| !r.eq_ignore_ascii_case("resident"))
            .map(|r| r.to_ascii_lowercase()),
        lease_start,
        lease_end: if status == LeaseStatus::Notice {
            move_out.or(lease_to)
        } else {
            lease_to
        },
    })
}

#[cfg(test)]
mod tests;
