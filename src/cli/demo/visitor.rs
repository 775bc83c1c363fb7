//! The demo's visitor: signed in at the front desk and signed out later through the daemon's own
//! `POST /api/v1/events`, signed the way any front-desk tool signs (README, "Signed events").

use crate::sim::serve::FrontDesk;
use crate::sim::world::SourceState;
use crate::source::events::sign::{sign, SENDER_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

const NAME: &str = "Ada Visitor";
/// The visitor's id in the front desk's events (the audit log's person id).
pub const VISITOR_ID: &str = "v-ada";
/// Bounds each post: the daemon is on loopback, so anything slower is a fault worth reporting.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// One visit: who, hosted by whom, posted where and with what.
pub struct Visit {
    desk: FrontDesk,
    host: String,
    url: String,
    /// The demo's start (Unix seconds): event ids are unique per run.
    run: i64,
}

/// The visitor's host: the property's first current resident.
pub fn host(world: &SourceState, property: &str) -> String {
    world
        .properties
        .iter()
        .filter(|p| p.id == property)
        .flat_map(|p| &p.people)
        .find(|p| p.status == "current" && p.role.is_none())
        .map_or_else(|| "the manager".to_string(), |p| p.name.clone())
}

#[derive(Clone, Copy)]
enum Step {
    SignIn,
    SignOut,
}

impl Step {
    fn event_type(self) -> &'static str {
        match self {
            Step::SignIn => "visitor.signed_in",
            Step::SignOut => "visitor.signed_out",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Step::SignIn => "sign-in",
            Step::SignOut => "sign-out",
        }
    }

    fn says(self) -> &'static str {
        match self {
            Step::SignIn => "signs in at the front desk (lobby opens)",
            Step::SignOut => "signs out (lobby closes)",
        }
    }
}

impl Visit {
    /// A visit to `desk`'s property hosted by `host`, posted to the daemon listening on `addr`
    /// (over loopback even when it listens on every interface).
    pub fn new(desk: FrontDesk, host: String, addr: SocketAddr, run: i64) -> Visit {
        let addr = match addr.ip().is_unspecified() {
            true => SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port())),
            false => addr,
        };
        Visit {
            desk,
            host,
            url: format!("http://{addr}/api/v1/events"),
            run,
        }
    }

    /// The schedule, said at start like the coworking lines.
    pub fn announce(&self, arrives: Duration, stays: Duration) {
        let (arrives, leaves) = (arrives.as_secs(), (arrives + stays).as_secs());
        out!(
            "visitor: in {arrives}s {NAME} signs in at the front desk of {} (host {}), in {leaves}s signs out",
            self.desk.property,
            self.host
        );
    }

    /// Signs the visitor in after `arrives`, out `stays` later. Each step prints one line; a
    /// refused or failed post says why and the demo goes on.
    pub async fn run(self, arrives: Duration, stays: Duration) {
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => {
                out!("visitor: cannot build an HTTP client: {e}");
                return;
            }
        };
        tokio::time::sleep(arrives).await;
        self.post(&client, Step::SignIn).await;
        tokio::time::sleep(stays).await;
        self.post(&client, Step::SignOut).await;
    }

    fn client(&self) -> reqwest::Result<reqwest::Client> {
        crate::net::install_crypto();
        reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            .connect_timeout(POST_TIMEOUT)
            .build()
    }

    /// One signed request; the endpoint brings the property's cycle forward itself.
    async fn post(&self, client: &reqwest::Client, step: Step) {
        let body = self.body(step, SystemTime::now());
        let ts = crate::controller::now().to_string();
        let sent = client
            .post(&self.url)
            .header("content-type", "application/json")
            .header(SENDER_HEADER, &self.desk.sender)
            .header(TIMESTAMP_HEADER, &ts)
            .header(
                SIGNATURE_HEADER,
                sign(self.desk.secret.as_bytes(), &ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        let property = &self.desk.property;
        match sent {
            Ok(r) if r.status().is_success() => out!("visitor: {property}: {NAME} {}", step.says()),
            Ok(r) => {
                let status = r.status();
                let answer = r.text().await.unwrap_or_default();
                out!(
                    "visitor: {property}: the {} was refused: HTTP {status}: {}",
                    step.name(),
                    answer.trim()
                );
            }
            Err(e) => out!("visitor: {property}: cannot post the {}: {e}", step.name()),
        }
    }

    /// `{"events": [...]}` with one visit event, as the README documents it.
    fn body(&self, step: Step, at: SystemTime) -> String {
        serde_json::json!({"events": [{
            "id": format!("demo-{}-{VISITOR_ID}-{}", self.run, step.name()),
            "type": step.event_type(),
            "property": self.desk.property,
            "time": humantime::format_rfc3339_seconds(at).to_string(),
            "visit": {"visitor": VISITOR_ID, "name": NAME, "host": self.host, "invited": true},
        }]})
        .to_string()
    }
}
