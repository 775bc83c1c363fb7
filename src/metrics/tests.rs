//! Metrics tests: every family is exported from the start, and the process collector is on.

use super::*;

#[test]
fn renders_every_design_metric() {
    let m = Metrics::new();
    m.cycles.with_label_values(&["p1", "ok"]).inc();
    m.cycle_duration.with_label_values(&["p1"]).observe(0.1);
    m.drift
        .with_label_values(&["p1", "kisi", "add_to_group"])
        .set(2);
    m.actions
        .with_label_values(&["kisi", "add_to_group", "applied"])
        .inc();
    m.suggestions_pending.with_label_values(&["p1"]).set(0);
    m.source_last_success.with_label_values(&["yardi"]).set(1.0);
    m.source_errors
        .with_label_values(&["yardi", "incomplete"])
        .inc();
    let hook = m.access_hook("kisi");
    hook.answered("200", Duration::from_millis(3));
    hook.deprecated();
    m.guard_tripped.with_label_values(&["p1"]).set(0);
    m.audit_entries.with_label_values(&["add_to_group"]).inc();
    m.revocation_latency
        .with_label_values(&["kisi"])
        .observe(1.0);
    let text = m.render();
    for name in [
        "lockstep_reconcile_cycles_total",
        "lockstep_reconcile_duration_seconds",
        "lockstep_drift",
        "lockstep_actions_total",
        "lockstep_suggestions_pending",
        "lockstep_source_last_success_timestamp_seconds",
        "lockstep_source_errors_total",
        "lockstep_access_requests_total",
        "lockstep_access_request_duration_seconds",
        "lockstep_access_deprecation_notices_total",
        "lockstep_guard_tripped",
        "lockstep_config_reloads_total",
        "lockstep_audit_entries_total",
        "lockstep_revocation_latency_seconds",
        "lockstep_build_info",
    ] {
        assert!(
            text.contains(&format!("\n{name}")) || text.contains(&format!("# TYPE {name} ")),
            "{name} missing"
        );
    }
}

const CONFIG: &str = "
portfolio: t
data_dir: /tmp/unused
sources:
  yardi-main:
    type: yardi_voyager
    url: http://127.0.0.1:1/yardi
    username: u
    password: p
    server_name: s
    database: d
    platform: SQL Server
    interface_entity: e
    interface_license: l
access_systems:
  kisi-main:
    type: kisi
    url: http://127.0.0.1:1/kisi
    api_key: k
properties:
  maple-court:
    name: Maple Court
    source: yardi-main
    source_property_id: mc
    access_system: kisi-main
    common_groups: [Entrances]
";

fn config(yaml: &str) -> crate::config::Config {
    crate::config::Config::from_yaml_str(yaml, &crate::config::ProcessEnv)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn family_names(m: &Metrics) -> std::collections::BTreeSet<String> {
    m.registry
        .gather()
        .iter()
        .map(|f| f.name().to_string())
        .collect()
}

#[test]
fn every_family_is_exported_before_anything_happens() {
    let m = Metrics::new();
    m.prime(&config(CONFIG), None);
    let exported = family_names(&m);
    for c in m.collectors() {
        for desc in c.desc() {
            assert!(
                exported.contains(&desc.fq_name),
                "{} is not exported from the start",
                desc.fq_name
            );
        }
    }
    let text = m.render();
    for series in [
        "lockstep_reconcile_cycles_total{property=\"maple-court\",result=\"skipped\"} 0",
        "lockstep_drift{action=\"remove_from_group\",property=\"maple-court\",system=\"kisi-main\"} 0",
        "lockstep_actions_total{action=\"revoke_credential\",result=\"failed\",system=\"kisi-main\"} 0",
        "lockstep_source_errors_total{kind=\"incomplete\",source=\"yardi-main\"} 0",
        "lockstep_system_quarantined{system=\"yardi-main\"} 0",
        "lockstep_revocation_latency_seconds_count{system=\"kisi-main\"} 0",
        "lockstep_guard_tripped{property=\"maple-court\"} 0",
        "lockstep_reconcile_interval_seconds 60",
    ] {
        assert!(text.contains(series), "missing {series}");
    }
    let started = text
        .lines()
        .find_map(|l| l.strip_prefix("lockstep_last_cycle_timestamp_seconds "))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("last cycle gauge");
    assert!(started > 1.0e9, "starts at the process start, not 0");
}

#[cfg(target_os = "linux")]
#[test]
fn the_process_collector_is_registered() {
    let exported = family_names(&Metrics::new());
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(exported.contains(name), "{name} missing");
    }
}

#[test]
fn a_reload_moves_children_to_the_new_names() {
    let m = Metrics::new();
    let old = config(CONFIG);
    m.prime(&old, None);
    let renamed = CONFIG
        .replace("maple-court:", "oak-row:")
        .replace("kisi-main", "kisi-two");
    let new = config(&renamed);
    m.prime(&new, Some(&old));
    let text = m.render();
    assert!(text.contains("property=\"oak-row\""));
    assert!(text.contains("system=\"kisi-two\""));
    assert!(
        !text.contains("maple-court"),
        "the old property's series linger"
    );
    assert!(
        !text.contains("kisi-main"),
        "the old system's series linger"
    );
}

#[test]
fn revocation_latency_has_sub_second_buckets() {
    let m = Metrics::new();
    m.revocation_latency
        .with_label_values(&["kisi"])
        .observe(0.2);
    let text = m.render();
    assert!(
        text.contains("lockstep_revocation_latency_seconds_bucket{system=\"kisi\",le=\"0.1\"} 0")
    );
    assert!(
        text.contains("lockstep_revocation_latency_seconds_bucket{system=\"kisi\",le=\"0.25\"} 1")
    );
}
