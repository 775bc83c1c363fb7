//! Yardi Voyager: SOAP `ItfResidentData.asmx` `GetResidents`, credentials in the body (VENDORS.md,
//! confidence P). The answer is read in `parse` (the layout public Voyager clients read) and the
//! status words are mapped in `status`.
//!
//! `GetResidentsByStatus` (a `^`-separated status filter, VENDORS.md Y-py) is not used: lockstep
//! needs every resident of a property in one answer to tell a move-out from a missing record.
//!
//! The configured `url` is the Voyager base; the connector POSTs to
//! `{url}/webservices/ItfResidentData.asmx` (a url already ending in `.asmx` is used as is).

use crate::config::YardiConfig;
use crate::model::SourceSnapshot;
use crate::net::{HttpClient, ResponseHook};
use crate::source::{Source, SourceError};
use async_trait::async_trait;
use quick_xml::escape::escape;
use reqwest::Method;

mod parse;
pub mod status;

pub use parse::parse_residents;

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
                    detail: format!(
                        "Yardi Voyager GetResidents for YardiPropertyId {property:?}: SOAP fault: {}",
                        fault_text(&message)
                    ),
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

#[cfg(test)]
mod tests;
