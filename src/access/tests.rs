//! Bounded fuzzing of the Kisi and Brivo response parsers: whatever a vendor sends back, the
//! connector answers with an error that names what and where, never a panic.

use super::*;
use crate::config::{BrivoConfig, Endpoint, KisiConfig, Secret};
use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server that answers every request with the current body (and a plausible Kisi range header).
async fn garbage_server(body: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let text = body.lock().unwrap_or_else(|e| e.into_inner()).clone();
            (
                [
                    ("content-type", "application/json"),
                    ("x-collection-range", "0-0/1"),
                ],
                text,
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn endpoint(url: &str) -> Endpoint {
    Endpoint {
        url: url.into(),
        timeout: Duration::from_secs(2),
        requests_per_second: None,
        stale_after: Duration::from_secs(3600),
    }
}

fn secret(v: &str) -> Secret {
    Secret {
        value: v.into(),
        origin: "test".into(),
    }
}

fn bodies() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,120}",
        Just(r#"{"access_token":"t","expires_in":60}"#.to_string()),
        Just(r#"{"data":[{"id":1}],"count":"many"}"#.to_string()),
        Just(r#"[{"id":null,"name":7}]"#.to_string()),
        Just(r#"{"data":[],"offset":0,"pageSize":100,"count":1}"#.to_string()),
        prop::collection::vec(any::<u8>(), 0..80)
            .prop_map(|b| String::from_utf8_lossy(&b).to_string()),
        "\\[\\{\"id\":[0-9]{1,3},\"name\":\"[a-z]{0,5}\",\"metadata\":\\{\\}\\}\\]",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn vendor_responses_never_panic_a_connector(body in bodies()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let shared = Arc::new(Mutex::new(body.clone()));
            let base = garbage_server(shared).await;
            let kisi = kisi::Kisi::new("kisi", &KisiConfig { endpoint: endpoint(&base), api_key: secret("k") }, None).expect("kisi");
            let brivo = brivo::Brivo::new("brivo", &BrivoConfig { endpoint: endpoint(&base), auth_url: base.clone(), api_key: secret("k"), client_id: "c".into(), client_secret: secret("s"), username: "u".into(), password: secret("p") }, None).expect("brivo");
            let systems: [&dyn AccessSystem; 2] = [&kisi, &brivo];
            for system in systems {
                let scope = Scope::default();
                let results = [
                    system.observe(&scope).await.map(|_| ()),
                    system.find_user("lockstep:y:1").await.map(|_| ()),
                    system.create_user(&NewUser { external_id: "lockstep:y:1".into(), name: "A B".into(), email: None }).await.map(|_| ()),
                    system.list_credentials("1").await.map(|_| ()),
                ];
                for r in results {
                    if let Err(e) = r {
                        prop_assert!(!e.to_string().is_empty());
                        prop_assert!(e.to_string().contains(system.kind()), "error names the system: {e}");
                    }
                }
            }
            Ok(())
        })?;
    }
}
