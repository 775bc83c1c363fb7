//! `lockstep demo` (simulators + daemon + lease churn in one process) and `lockstep sim`.

use super::{daemon, init_logging, runtime, CliError, CliResult};
use crate::app::Event;
use crate::config::{Config, ProcessEnv};
use crate::sim::serve::{config_yaml, ConfigOptions, Simulators};
use crate::sim::world::{self, Churn};
use rand::SeedableRng;
use std::time::Duration;

mod pins;
mod visitor;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Where the daemon's API, UI and metrics listen.
    #[arg(long, default_value = "127.0.0.1:9797")]
    listen: String,
    /// The fourth property lives in Openpath, the fifth in DOOR; the first three in Kisi, Brivo
    /// and both; the sixth is a coworking space (members from OfficeRnD, doors in Kisi).
    #[arg(long, default_value_t = 6)]
    properties: usize,
    /// How many residents to generate per property.
    #[arg(long, default_value_t = 100)]
    residents_per_property: usize,
    /// Seed of the generated residents (the same seed gives the same people).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How often leases change.
    #[arg(long, default_value = "4s", value_parser = humantime::parse_duration)]
    churn_every: Duration,
    /// Stop after this long (default: run until Ctrl-C).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// When the visitor signs in at the first property's front desk (a signed event).
    #[arg(long, default_value = "8s", value_parser = humantime::parse_duration)]
    visitor_at: Duration,
    /// How long after signing in the visitor signs out.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    visitor_leaves_after: Duration,
}

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Where the simulators listen (a loopback address and port).
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: String,
    /// The fourth property lives in Openpath, the fifth in DOOR; the first three in Kisi, Brivo
    /// and both; the sixth is a coworking space (members from OfficeRnD, doors in Kisi).
    #[arg(long, default_value_t = 6)]
    properties: usize,
    /// How many residents to generate per property.
    #[arg(long, default_value_t = 100)]
    residents_per_property: usize,
    /// Seed of the generated residents (the same seed gives the same people).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also print a complete lockstep config pointing at these simulators.
    #[arg(long)]
    print_config: bool,
}

fn temp_data_dir(prefix: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        crate::controller::now()
    ));
    dir.display().to_string()
}

pub fn sim(args: SimArgs) -> CliResult {
    init_logging("warn", false);
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|e| {
                CliError::failure(format!("--listen: cannot bind {}: {e}", args.listen))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::failure(e.to_string()))?;
        let world = world::generate(
            args.properties,
            args.residents_per_property,
            args.seed,
            crate::controller::now(),
        );
        let sims = Simulators::new(world.clone(), args.seed);
        let base = format!("http://{addr}");
        // Banners go to stderr: with --print-config, stdout is exactly the config. The first
        // names the address, so a caller of `--listen 127.0.0.1:0` (the cycle bench) learns it.
        eprintln!("lockstep sim: listening on {base}");
        for line in sims.describe(&base) {
            eprintln!("{line}");
        }
        if args.print_config {
            let data_dir = temp_data_dir("lockstep-sim");
            let staff_dir = format!("{data_dir}-staff");
            world::write_staff_sheets(
                std::path::Path::new(&staff_dir),
                &world,
                crate::controller::now(),
            )
            .map_err(|e| {
                CliError::failure(format!("cannot write the staff sheets to {staff_dir}: {e}"))
            })?;
            let generated = config_yaml(
                &world,
                &ConfigOptions {
                    base_url: &base,
                    data_dir: &data_dir,
                    listen: "127.0.0.1:9797",
                    automatic_every_other: false,
                    activation_delay: "15m",
                    interval: "60s",
                    staff_dir: Some(&staff_dir),
                    front_desk: true,
                    pin_outbox: Some(&format!("{data_dir}/pin-outbox.jsonl")),
                    mobile_keys: true,
                },
            );
            out!("{}", generated.yaml);
        }
        sims.serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::failure(format!("simulators stopped: {e}")))
    })
}

pub fn demo(args: DemoArgs) -> CliResult {
    init_logging("lockstep=info,warn", false);
    runtime()?.block_on(run_demo(args))
}

async fn run_demo(args: DemoArgs) -> CliResult {
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CliError::failure(format!("cannot bind the simulators: {e}")))?;
    let base = format!(
        "http://{}",
        sim_listener
            .local_addr()
            .map_err(|e| CliError::failure(e.to_string()))?
    );
    let world = world::generate(
        args.properties,
        args.residents_per_property,
        args.seed,
        crate::controller::now(),
    );
    let sims = Simulators::new(world.clone(), args.seed);
    let (stop_sims, sims_stopped) = tokio::sync::oneshot::channel::<()>();
    let sim_server = {
        let sims = sims.clone();
        tokio::spawn(async move {
            let _ = sims
                .serve(sim_listener, async {
                    let _ = sims_stopped.await;
                })
                .await;
        })
    };
    let data_dir = temp_data_dir("lockstep-demo");
    let staff_dir = format!("{data_dir}-staff");
    world::write_staff_sheets(
        std::path::Path::new(&staff_dir),
        &world,
        crate::controller::now(),
    )
    .map_err(|e| CliError::failure(format!("cannot write the staff sheets to {staff_dir}: {e}")))?;
    let pin_outbox = format!("{data_dir}/pin-outbox.jsonl");
    let generated = config_yaml(
        &world,
        &ConfigOptions {
            base_url: &base,
            data_dir: &data_dir,
            listen: &args.listen,
            automatic_every_other: true,
            activation_delay: "10s",
            interval: "5s",
            staff_dir: Some(&staff_dir),
            front_desk: true,
            pin_outbox: Some(&pin_outbox),
            mobile_keys: true,
        },
    );
    let admin = generated.admin_token;
    let config = Config::from_yaml_str(&generated.yaml, &ProcessEnv).map_err(|e| {
        CliError::failure(format!(
            "the generated demo config is invalid (a bug):\n{e}"
        ))
    })?;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(daemon::serve(
        config,
        None,
        Some(ready_tx),
        crate::notify::Notifier::disabled(),
    ));
    let Ok((controller, events, addr)) = ready_rx.await else {
        return daemon
            .await
            .unwrap_or_else(|e| Err(CliError::failure(e.to_string())));
    };
    out!(
        "lockstep demo: {} properties, {} residents each, simulators at {base}",
        args.properties,
        args.residents_per_property
    );
    out!("  console        http://{addr}/  (sign in with a token below)");
    out!("  API            http://{addr}/api/v1/status");
    out!("  metrics        http://{addr}/metrics");
    out!("  admin token    {admin}");
    out!("  try: curl -H 'Authorization: Bearer {admin}' http://{addr}/api/v1/suggestions");
    out!("  data dir       {data_dir}");
    out!("  staff sheets   {staff_dir} (a CSV source: edit a file, rename it into place)");
    if let Some(p) = &generated.pins_property {
        out!("  PIN outbox     {pin_outbox} ({p}'s residents get a PIN, delivered here)");
    }
    let keys_property = generated.keys_property;
    if let Some(p) = &keys_property {
        out!("  mobile keys    {p}'s residents get an Openpath mobile key (approve them in the console)");
    }
    out!("Ctrl-C stops.");
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let mut churn = tokio::time::interval(args.churn_every);
    churn.tick().await;
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    // The coworking space's booking and day pass, announced as their times pass; each edge
    // brings a cycle forward so the grant or revocation follows at once.
    let mut edges = sims.coworking_edges.clone();
    edges.sort();
    let coworking = world
        .properties
        .get(world::COWORKING_INDEX)
        .map(|p| p.id.clone());
    for (at, what) in &edges {
        let secs = at - crate::controller::now();
        out!("coworking: in {secs}s {what}");
    }
    let mut edge_check = tokio::time::interval(Duration::from_secs(1));
    let mut pin_watch = pins::OutboxWatch::new(pin_outbox.clone().into());
    let mut pin_check = tokio::time::interval(Duration::from_secs(1));
    let mut key_watch = pins::KeyWatch::default();
    let visit = generated.front_desk.map(|desk| {
        let host = visitor::host(&world, &desk.property);
        let visit = visitor::Visit::new(desk, host, addr, crate::controller::now());
        visit.announce(args.visitor_at, args.visitor_leaves_after);
        tokio::spawn(visit.run(args.visitor_at, args.visitor_leaves_after))
    });
    loop {
        tokio::select! {
            _ = churn.tick() => {
                let changes = {
                    let mut state = crate::sim::write(&sims.yardi.state);
                    world::churn(&mut state, 3, crate::controller::now(), &mut rng)
                };
                for c in &changes {
                    out!("churn: {}", describe(c));
                }
                let _ = events.send(Event::Trigger(None));
            }
            _ = edge_check.tick(), if !edges.is_empty() => {
                let now = crate::controller::now();
                let due = edges.iter().take_while(|(at, _)| *at <= now).count();
                for (_, what) in edges.drain(..due) {
                    out!("coworking: {}: {what}", coworking.as_deref().unwrap_or("p6"));
                    let _ = events.send(Event::Trigger(coworking.clone()));
                }
            }
            _ = pin_check.tick(), if generated.pins_property.is_some() || keys_property.is_some() => {
                for line in pin_watch.poll() {
                    out!("{line}");
                }
                if let Some(p) = &keys_property {
                    if let Some(line) = key_watch.poll(p, sims.openpath.setup_emails()) {
                        out!("{line}");
                    }
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => break,
        }
    }
    let _ = controller;
    if let Some(visit) = visit {
        visit.abort();
    }
    let _ = events.send(Event::Shutdown);
    let result = daemon
        .await
        .unwrap_or_else(|e| Err(CliError::failure(e.to_string())));
    let _ = stop_sims.send(());
    let _ = sim_server.await;
    out!("demo stopped; the audit log stays in {data_dir}");
    result
}

fn describe(c: &Churn) -> String {
    match c {
        Churn::MoveIn { property, person } => format!("{property}: {person} moves in"),
        Churn::MoveOut { property, person } => format!("{property}: {person} moves out"),
        Churn::Notice { property, person } => format!("{property}: {person} gives notice"),
        Churn::UnitChange {
            property,
            person,
            from,
            to,
        } => format!("{property}: {person} moves from unit {from} to {to}"),
    }
}
