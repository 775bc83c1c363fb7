//! Shared machinery: simulators in-process, the real `lockstep` binary as a child process, and
//! bounded polling helpers.

use lockstep::access::{AccessSystem, Scope};
use lockstep::config::{Config, ProcessEnv};
use lockstep::model::{ActualState, ManagedGroups};
use lockstep::sim::serve::{config_yaml, ConfigOptions, Simulators};
use lockstep::sim::world::{self, SourceState};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The simulators on an ephemeral loopback port.
pub struct Sims {
    pub sims: Simulators,
    pub base: String,
    pub world: SourceState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start_sims(properties: usize, residents: usize, seed: u64) -> Sims {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let world = world::generate(properties, residents, seed, lockstep::controller::now());
    let sims = Simulators::new(world.clone(), seed);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = sims.clone();
    tokio::spawn(async move {
        let _ = served
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    Sims {
        sims,
        base,
        world,
        _stop: stop,
    }
}

/// A free loopback port (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A generated config: property p1 (Kisi) automatic, p2 (Brivo) approval_required, with short
/// intervals so tests run in seconds. Returns (yaml, admin token).
pub fn config_for(
    sims: &Sims,
    data_dir: &Path,
    listen: &str,
    activation_delay: &str,
) -> (String, String) {
    let generated = config_yaml(
        &sims.world,
        &ConfigOptions {
            base_url: &sims.base,
            data_dir: &data_dir.display().to_string(),
            listen,
            automatic_every_other: true,
            activation_delay,
            interval: "1s",
            staff_dir: None,
            front_desk: false,
            pin_outbox: None,
            mobile_keys: false,
        },
    );
    (generated.yaml, generated.admin_token)
}

pub fn parse(yaml: &str) -> Config {
    Config::from_yaml_str(yaml, &ProcessEnv).unwrap_or_else(|e| panic!("config: {e}"))
}

/// Simulators, a temporary data dir and a generated config (p1 Kisi automatic, p2 Brivo
/// approval_required) written to disk; `edit` may change the YAML before it is written.
pub struct Setup {
    pub sims: Sims,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub token: String,
    pub yaml: String,
    pub path: PathBuf,
    pub config: Config,
}

pub async fn setup(
    residents: usize,
    seed: u64,
    activation_delay: &str,
    edit: impl FnOnce(String) -> String,
) -> Setup {
    setup_with(2, residents, seed, activation_delay, edit).await
}

/// As `setup`, with `properties` generated properties (the third is split between Kisi for
/// unit doors and Brivo for the rest).
pub async fn setup_with(
    properties: usize,
    residents: usize,
    seed: u64,
    activation_delay: &str,
    edit: impl FnOnce(String) -> String,
) -> Setup {
    let sims = start_sims(properties, residents, seed).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let (yaml, token) = config_for(
        &sims,
        &dir.path().join("data"),
        &format!("127.0.0.1:{port}"),
        activation_delay,
    );
    let yaml = edit(yaml);
    let path = dir.path().join("lockstep.yaml");
    std::fs::write(&path, &yaml).expect("write config");
    let config = parse(&yaml);
    Setup {
        sims,
        dir,
        port,
        token,
        yaml,
        path,
        config,
    }
}

impl Setup {
    /// Starts the real binary on this config and waits until it is ready.
    pub async fn start(&self) -> Daemon {
        let daemon = self.spawn();
        daemon.wait_ready().await;
        daemon
    }

    /// Starts the real binary without waiting.
    pub fn spawn(&self) -> Daemon {
        Daemon::start(&self.path, self.port, &self.token)
    }
}

/// Observes an access system the way the daemon does, through its connector.
pub async fn observe(config: &Config, system: &str, property: &str) -> ActualState {
    let metrics = lockstep::metrics::Metrics::new();
    let connector: Arc<dyn AccessSystem> =
        lockstep::access::build(system, &config.access_systems[system], &metrics)
            .expect("connector");
    let managed: ManagedGroups = lockstep::policy::managed_groups(&config.properties[property]);
    connector
        .observe(&Scope {
            managed,
            ..Scope::default()
        })
        .await
        .expect("observe")
}

/// Groups of one person in an observed state (empty if the user does not exist).
pub fn groups_of(actual: &ActualState, person: &str) -> Vec<String> {
    actual
        .users
        .get(&format!("lockstep:yardi-sim:{person}"))
        .map(|u| u.groups.keys().cloned().collect())
        .unwrap_or_default()
}

/// Polls `check` every 200 ms until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The real `lockstep` binary running a config file.
pub struct Daemon {
    pub child: Child,
    pub url: String,
    pub token: String,
    pub config_path: PathBuf,
    client: reqwest::Client,
}

impl Daemon {
    pub fn start(config_path: &Path, port: u16, token: &str) -> Daemon {
        Daemon::start_with_env(config_path, port, token, &[])
    }

    /// Starts the binary with extra environment variables (e.g. `NOTIFY_SOCKET`).
    pub fn start_with_env(
        config_path: &Path,
        port: u16,
        token: &str,
        vars: &[(&str, String)],
    ) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["run", "--config"])
            .arg(config_path)
            .env("RUST_LOG", "lockstep=debug")
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(config_path.with_extension("log")).expect("log file"),
            ))
            .spawn()
            .expect("start lockstep");
        lockstep::net::install_crypto();
        Daemon {
            child,
            url: format!("http://127.0.0.1:{port}"),
            token: token.to_string(),
            config_path: config_path.to_path_buf(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                (
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                )
            }
            Err(e) => (0, Value::String(e.to_string())),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, path, Some(body)).await
    }

    /// A console page as a person signed in with this daemon's token sees it: the sign-in form
    /// (its CSRF token, double-submitted as a cookie), then the page with the session cookie.
    pub async fn console_page(&self, path: &str) -> String {
        let cookie_of = |r: &reqwest::Response, name: &str| {
            r.headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| v.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.split(';').next())
                .map(str::to_string)
                .unwrap_or_default()
        };
        let Ok(form) = self
            .client
            .get(format!("{}/console/sign-in", self.url))
            .send()
            .await
        else {
            return String::new();
        };
        let csrf = cookie_of(&form, "lockstep_signin");
        // The sign-in answers 303 with the session cookie: read it there, not after the redirect.
        let Ok(client) = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
        else {
            return String::new();
        };
        let Ok(signed) = client
            .post(format!("{}/console/sign-in", self.url))
            .header(reqwest::header::COOKIE, format!("lockstep_signin={csrf}"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("csrf={csrf}&token={}", self.token))
            .send()
            .await
        else {
            return String::new();
        };
        let session = cookie_of(&signed, "lockstep_session");
        match self
            .client
            .get(format!("{}{path}", self.url))
            .header(
                reqwest::header::COOKIE,
                format!("lockstep_session={session}"),
            )
            .send()
            .await
        {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        }
    }

    pub async fn metrics(&self) -> String {
        match self
            .client
            .get(format!("{}/metrics", self.url))
            .send()
            .await
        {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn wait_ready(&self) {
        let client = self.client.clone();
        let url = format!("{}/readyz", self.url);
        eventually("the daemon to be ready", Duration::from_secs(60), || {
            let client = client.clone();
            let url = url.clone();
            async move {
                client
                    .get(&url)
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            }
        })
        .await;
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// SIGTERM and wait for the exit status (bounded).
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(40),
                "lockstep did not exit within 40 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.config_path.with_extension("log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Edits the source simulator's state: `f` gets the whole shared source state.
pub fn edit_source(sims: &Sims, f: impl FnOnce(&mut SourceState)) {
    let mut state = lockstep::sim::write(&sims.sims.yardi.state);
    f(&mut state);
}

/// Finds the first person of a property matching `pred`, returning their id.
pub fn find_person(
    sims: &Sims,
    property: &str,
    pred: impl Fn(&world::SimPerson) -> bool,
) -> String {
    let state = lockstep::sim::read(&sims.sims.yardi.state);
    let p = state
        .properties
        .iter()
        .find(|p| p.id == property)
        .expect("property");
    p.people
        .iter()
        .find(|x| pred(x))
        .map(|x| x.id.clone())
        .expect("a matching person")
}

pub fn set_person(
    sims: &Sims,
    property: &str,
    person: &str,
    f: impl FnOnce(&mut world::SimPerson),
) {
    edit_source(sims, |state| {
        let p = state
            .properties
            .iter_mut()
            .find(|p| p.id == property)
            .expect("property");
        let x = p
            .people
            .iter_mut()
            .find(|x| x.id == person)
            .expect("person");
        f(x);
    });
}

/// Writes `text` to a temporary file, dates it a minute ago (settled) and renames it into place:
/// how a whole CSV sheet arrives for the CSV source's watcher.
pub fn replace_settled(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::File::options()
        .write(true)
        .open(&tmp)
        .and_then(|f| f.set_modified(std::time::SystemTime::now() - Duration::from_secs(60)))
        .expect("set mtime");
    std::fs::rename(&tmp, path).expect("rename");
}
