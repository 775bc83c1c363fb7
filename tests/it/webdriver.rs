//! A minimal W3C WebDriver client over reqwest (WebDriver is plain HTTP and JSON): Debian's
//! `chromedriver` on an ephemeral loopback port driving headless `chromium`.
//!
//! [`Browser::start`] returns `None` (after a loud message) only when the browser or its driver
//! is missing and `CI` is unset; under CI a missing browser fails the test.

use crate::harness::{eventually, free_port};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The key WebDriver names an element reference with.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Bounded waits for pages and elements (generous: the machine may be shared).
pub const WAIT: Duration = Duration::from_secs(60);

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

pub struct Browser {
    http: reqwest::Client,
    driver_port: u16,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless chromium session with a 1280×900 window.
    pub async fn start() -> Option<Browser> {
        let driver = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"));
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| on_path("chromium"))
            .or_else(|| on_path("chromium-browser"));
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            let msg = "chromium and chromedriver are needed for the console's browser test \
                       (apt-get install chromium chromium-driver)";
            if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                panic!("{msg}; under CI this test must run");
            }
            eprintln!("\n!!!!!!!!\n!!!!!!!! SKIPPED the console browser test: {msg}\n!!!!!!!!\n");
            return None;
        };
        let port = free_port();
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", driver.display()));
        let http = reqwest::Client::builder()
            .timeout(WAIT)
            .build()
            .expect("client");
        let status = format!("http://127.0.0.1:{port}/status");
        eventually("chromedriver to listen", WAIT, || {
            let (http, status) = (http.clone(), status.clone());
            async move {
                let v: Value = http.get(&status).send().await.ok()?.json().await.ok()?;
                (v["value"]["ready"] == true).then_some(())
            }
        })
        .await;
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--window-size=1280,900", "--lang=en-US",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let answer = match http
            .post(format!("http://127.0.0.1:{port}/session"))
            .json(&caps)
            .send()
            .await
        {
            Ok(r) => r.json::<Value>().await.unwrap_or(Value::Null),
            Err(e) => Value::String(e.to_string()),
        };
        let Some(session) = answer["value"]["sessionId"].as_str().map(str::to_string) else {
            // No Browser owns the driver yet: stop it here so a failed start leaves nothing behind.
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromedriver refused a session: {answer}");
        };
        Some(Browser {
            http,
            driver_port: port,
            session,
            driver: child,
            _profile: profile,
        })
    }

    /// One WebDriver command; `Err` carries the driver's error (e.g. a stale element after a
    /// navigation), for callers that wait and retry.
    async fn try_cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let url = format!(
            "http://127.0.0.1:{}/session/{}{path}",
            self.driver_port, self.session
        );
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v)
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_cmd(method.clone(), path, body).await {
            Ok(v) => v,
            Err(v) => panic!("webdriver {method} {path}: {v}"),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        let v = self.cmd(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The element matching `css` now, if any.
    pub async fn try_find(&self, css: &str) -> Option<String> {
        let v = self
            .try_cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .ok()?;
        v.as_array()?.first()?[ELEMENT].as_str().map(str::to_string)
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array().map_or(0, Vec::len)
    }

    /// Waits (bounded) for an element matching `css`.
    pub async fn find(&self, css: &str) -> String {
        eventually(&format!("an element {css:?}"), WAIT, || self.try_find(css)).await
    }

    /// Clicks the element matching `css`, waiting (bounded) for one that is there and current.
    pub async fn click(&self, css: &str) {
        eventually(&format!("to click {css:?}"), WAIT, || async {
            let id = self.try_find(css).await?;
            self.try_cmd(
                reqwest::Method::POST,
                &format!("/element/{id}/click"),
                Some(json!({})),
            )
            .await
            .ok()
            .map(|_| ())
        })
        .await;
    }

    /// Types into a field (WebDriver key codes such as `\u{E007}` for Enter work too).
    pub async fn type_into(&self, css: &str, text: &str) {
        eventually(&format!("to type into {css:?}"), WAIT, || async {
            let id = self.try_find(css).await?;
            self.try_cmd(
                reqwest::Method::POST,
                &format!("/element/{id}/value"),
                Some(json!({ "text": text })),
            )
            .await
            .ok()
            .map(|_| ())
        })
        .await;
    }

    /// The rendered text of the first element matching `css` (waiting, bounded, for one).
    pub async fn text(&self, css: &str) -> String {
        self.wait_text(css, "").await
    }

    /// Waits (bounded) until the text of `css` contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        eventually(&format!("{css:?} to say {needle:?}"), WAIT, || async {
            let id = self.try_find(css).await?;
            // A page that navigates between the two calls makes the element stale: try again.
            let v = self
                .try_cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                .await
                .ok()?;
            let text = v.as_str().unwrap_or_default().to_string();
            text.contains(needle).then_some(text)
        })
        .await
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        eventually(&format!("attribute {name} of {css:?}"), WAIT, || async {
            let id = self.try_find(css).await?;
            self.try_cmd(
                reqwest::Method::GET,
                &format!("/element/{id}/attribute/{name}"),
                None,
            )
            .await
            .ok()
        })
        .await
        .as_str()
        .map(str::to_string)
    }

    /// The value of a cookie (HttpOnly ones too: WebDriver sees them).
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let v = self.cmd(reqwest::Method::GET, "/cookie", None).await;
        v.as_array()?
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_str().map(str::to_string))
    }

    pub async fn cookie_flags(&self, name: &str) -> Value {
        let v = self.cmd(reqwest::Method::GET, "/cookie", None).await;
        v.as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == name).cloned())
            .unwrap_or(Value::Null)
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    /// Ends the session (chromedriver then closes chromium) with a plain blocking request, so a
    /// failed test leaves no browser behind, then stops chromedriver.
    fn drop(&mut self) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.driver_port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = write!(
                s,
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                self.session
            );
            let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
