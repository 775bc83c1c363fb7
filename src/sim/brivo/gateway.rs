//! What the Mashery gateway in front of Brivo answers before Brivo sees a request: throttling
//! (`ERR_403_DEVELOPER_OVER_QPS`), an unknown API key (`ERR_403_DEVELOPER_INACTIVE`) and a verb no
//! service answers (596). Sources: VENDORS.md corrections, "Mashery"; brivo-apidocs: Response
//! Codes - Error codes (403 `<h1>Developer Inactive</h1>`, 596 `<h1>596 Service Not Found</h1>`).

use super::BrivoSim;
use crate::net::MASHERY_ERROR_CODE;
use crate::sim::secret_eq;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// An HTML page with Mashery's error id in its header.
fn mashery_page(status: StatusCode, code: Option<&'static str>, heading: &str) -> Response {
    let mut response = (
        status,
        [("content-type", "text/html")],
        format!("<h1>{heading}</h1>"),
    )
        .into_response();
    if let Some(code) = code {
        response.headers_mut().insert(
            MASHERY_ERROR_CODE,
            axum::http::HeaderValue::from_static(code),
        );
    }
    response
}

/// Over the key's queries per second: 403 `ERR_403_DEVELOPER_OVER_QPS`, `<h1>Developer Over
/// Qps</h1>` and `Retry-After: 1` (Mashery: "usually" present; one second is the QPS window).
pub(super) fn over_qps() -> Response {
    let mut response = mashery_page(
        StatusCode::FORBIDDEN,
        Some("ERR_403_DEVELOPER_OVER_QPS"),
        "Developer Over Qps",
    );
    response
        .headers_mut()
        .insert("retry-after", axum::http::HeaderValue::from_static("1"));
    response
}

/// A missing or unknown `api-key`: 403 `ERR_403_DEVELOPER_INACTIVE`, `<h1>Developer Inactive</h1>`
/// (brivo-apidocs: Response Codes - Error codes, 403; the header id from Mashery).
pub(super) fn developer_inactive() -> Response {
    mashery_page(
        StatusCode::FORBIDDEN,
        Some("ERR_403_DEVELOPER_INACTIVE"),
        "Developer Inactive",
    )
}

/// A verb no service answers at a known path: `596 Service Not Found` (brivo-apidocs: Response
/// Codes - Error codes, 596).
pub(super) fn service_not_found() -> Response {
    let status = StatusCode::from_u16(596).unwrap_or(StatusCode::NOT_FOUND);
    mashery_page(status, None, "596 Service Not Found")
}

/// Mashery counts quota per API key: the `api-key` header is the unit of `rate_limit_per_second`.
pub(super) fn rate_key(headers: &HeaderMap) -> String {
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Whether the request carries the account's key (brivo-apidocs: Authentication - Headers).
pub(super) fn api_key_ok(headers: &HeaderMap) -> bool {
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|k| secret_eq(k, BrivoSim::API_KEY))
}

/// Turns axum's 405 (a known path, another verb) into Mashery's 596.
pub(super) async fn wrong_verb(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        service_not_found()
    } else {
        response
    }
}
