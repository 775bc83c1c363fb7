//! `type: csv` sources: defaults, every key, keys of another type, and the properties reading one.

use super::*;

fn with_csv(keys: &str) -> String {
    MINIMAL.replace(
        "access_systems:\n",
        &format!("  sheet:\n    type: csv\n{keys}access_systems:\n"),
    )
}

fn csv(config: &Config) -> &CsvConfig {
    match &config.sources["sheet"] {
        SourceConfig::Csv(c) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_csv_source_takes_its_defaults() {
    let config = valid(&with_csv("    path: /srv/staff.csv\n"), &minimal_env());
    let c = csv(&config);
    assert_eq!(config.sources["sheet"].kind(), "csv");
    assert_eq!(c.path, PathBuf::from("/srv/staff.csv"));
    assert_eq!(c.settle, Duration::from_secs(2));
    assert_eq!(c.delimiter, b',');
    assert_eq!(c.poll_interval, Duration::from_secs(5));
    assert_eq!(c.endpoint.timeout, Duration::from_secs(30));
    assert_eq!(c.endpoint.stale_after, Duration::from_secs(3600));
    assert_eq!(c.endpoint.url, "file:/srv/staff.csv");
}

#[test]
fn every_csv_key_is_read() {
    let keys = "    path: /srv/people/\n    settle: 0s\n    delimiter: \"\\t\"\n    \
                poll_interval: 30s\n    timeout: 5s\n    stale_after: 2h\n";
    let config = valid(&with_csv(keys), &minimal_env());
    let c = csv(&config);
    assert_eq!(c.settle, Duration::ZERO);
    assert_eq!(c.delimiter, b'\t');
    assert_eq!(c.poll_interval, Duration::from_secs(30));
    assert_eq!(c.endpoint.timeout, Duration::from_secs(5));
    assert_eq!(c.endpoint.stale_after, Duration::from_secs(7200));
}

#[test]
fn csv_errors_name_their_path() {
    let keys = "    delimiter: \"ab\"\n    poll_interval: 0s\n    settle: soon\n    \
                url: http://x\n    username: u\n";
    let errs = errors(&with_csv(keys), &minimal_env());
    let want = [
        "sources.sheet.url: is not an option of type csv",
        "sources.sheet.username: is not an option of type csv",
        "sources.sheet.path: is required",
        "sources.sheet.poll_interval: must be greater than zero",
        "sources.sheet.settle: \"soon\" is not a duration",
        "sources.sheet.delimiter: \"ab\" is not a delimiter",
    ];
    assert_eq!(errs.len(), want.len(), "{errs:#?}");
    for w in want {
        assert!(
            errs.iter().any(|e| e.starts_with(w)),
            "{w} missing: {errs:#?}"
        );
    }
    for bad in ["\"\\\"\"", "\"a\"", "\" \"", "\"\\n\""] {
        let errs = errors(
            &with_csv(&format!("    path: /p\n    delimiter: {bad}\n")),
            &minimal_env(),
        );
        assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
    }
    let errs = errors(
        &with_csv("    path: /p\n    poll_interval: 2h\n"),
        &minimal_env(),
    );
    assert_eq!(
        errs,
        ["sources.sheet.poll_interval: must be at most 1h (the periodic reconcile reads the file anyway)"]
    );
}

#[test]
fn yardi_refuses_csv_keys() {
    let yaml = MINIMAL.replace(
        "    password: p\n",
        "    password: p\n    path: /x\n    settle: 1s\n",
    );
    let errs = errors(&yaml, &minimal_env());
    assert_eq!(
        errs,
        [
            "sources.y.path: is not an option of type yardi_voyager",
            "sources.y.settle: is not an option of type yardi_voyager"
        ]
    );
}

#[test]
fn properties_reading_a_source() {
    let yaml = format!(
        "{}  cedar:\n    source: sheet\n    source_property_id: c-01\n    \
         access_system: kisi-main\n  ash:\n    source: sheet\n    access_system: kisi-main\n",
        with_csv("    path: /srv/\n")
    );
    let config = valid(&yaml, &minimal_env());
    assert_eq!(
        config.properties_reading("sheet"),
        [
            ("ash".to_string(), "ash".to_string()),
            ("cedar".to_string(), "c-01".to_string())
        ]
    );
    assert_eq!(
        config.properties_reading("y"),
        [("maple-court".to_string(), "maple-court".to_string())]
    );
    assert!(config.properties_reading("nobody").is_empty());
}
