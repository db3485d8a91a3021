//! End-to-end tests of `GET /metrics` through the real `ssisd` and `dtexec`: a scrape before and
//! after runs (one succeeding data flow with its rows, one failing package) sees the run
//! counters, the duration histogram, events by level, folder health and the HTTP requests by
//! route template move; the Unix socket reads it too; and over TLS on a non-loopback address a
//! caller from elsewhere needs credentials (401) and the administrator role (403 for an
//! operator), while a caller on this machine reads it without credentials.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{
    create_token, http, import_test_package, json, request, wait_event, Service, TestPki,
};

const WAIT: Duration = Duration::from_secs(60);

/// The samples of a scrape: series (name and labels as written) → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

fn scrape(s: &Service) -> (String, BTreeMap<String, f64>) {
    let url = format!("http://{}/metrics", s.addr);
    let response = ureq::get(&url).call().expect("GET /metrics answers");
    assert!(
        response
            .header("Content-Type")
            .unwrap_or("")
            .starts_with("application/openmetrics-text"),
        "{:?}",
        response.header("Content-Type")
    );
    let text = response.into_string().unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let m = samples(&text);
    (text, m)
}

fn value(m: &BTreeMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

const ORDERS: &str = "id,customer,region,amount,qty,ordered\r\n\
1,Ann,north,10.50,3,2024-01-05\r\n\
2,Bob,south,99.99,2,2024-02-29\r\n\
3,Cy,east,5.00,1,2024-03-01\r\n\
4,Di,west,60.00,2,2024-03-02\r\n";

#[test]
fn counters_and_histograms_move_with_runs_events_and_requests() {
    let s = Service::start();
    Service::eventually(WAIT, || {
        (s.folder_state("File System").as_deref() == Some("available")).then_some(())
    });
    import_test_package(&s, "running/fails.dtsx", "File System/fails");
    import_test_package(&s, "data_flow/orders_2008.dtsx", "File System/orders");
    // The runner may run under another account: it reads and writes in a directory open to it.
    let files = s.dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    for d in [&s.dir, &files] {
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    }
    std::fs::write(files.join("orders.csv"), ORDERS).unwrap();

    let (_, before) = scrape(&s);
    assert_eq!(
        value(
            &before,
            r#"ssisd_folder_state{folder="File System",kind="file-system",state="available"}"#
        ),
        1.0
    );
    assert_eq!(value(&before, "ssisd_runs_running"), 0.0);

    let conn = |m: &str, f: &str| {
        format!(
            "\\Package.Connections[{m}].Properties[ConnectionString];{}",
            files.join(f).display()
        )
    };
    let body = serde_json::json!({
        "package": "File System/orders",
        "set": [conn("Orders", "orders.csv"), conn("Big", "big.csv"), conn("Small", "small.csv")],
    });
    let (code, answer) = http(&s, "POST", "running", Some(body.to_string().as_bytes()));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    let ok = json(&answer)["id"].as_str().unwrap().to_string();
    let (code, answer) = http(
        &s,
        "POST",
        "running",
        Some(br#"{"package": "File System/fails"}"#),
    );
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    let failed = json(&answer)["id"].as_str().unwrap().to_string();
    wait_event(&s, 12289, &ok, WAIT);
    wait_event(&s, 12291, &failed, WAIT);

    let (text, after) = scrape(&s);
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        moved(r#"ssisd_runs_started_total{how="api"}"#),
        2.0,
        "{text}"
    );
    assert_eq!(
        moved(r#"ssisd_runs_finished_total{outcome="succeeded"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        moved(r#"ssisd_runs_finished_total{outcome="failed"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        moved(r#"ssisd_run_duration_seconds_count{outcome="succeeded"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        moved(r#"ssisd_run_duration_seconds_bucket{le="+Inf",outcome="failed"}"#),
        1.0,
        "{text}"
    );
    assert!(moved(r#"ssisd_run_duration_seconds_sum{outcome="succeeded"}"#) > 0.0);
    // Four rows read, each sent down the source's path and one of the split's two outputs.
    assert!(moved("ssisd_data_flow_rows_total") >= 8.0, "{text}");
    assert!(
        moved(r#"ssisd_events_total{level="information"}"#) >= 2.0,
        "{text}"
    );
    assert!(
        moved(r#"ssisd_events_total{level="error"}"#) >= 1.0,
        "{text}"
    );
    assert_eq!(value(&after, "ssisd_runs_running"), 0.0);
    // Each run's beginning, records and end are history writes; transactions group them.
    let writes = moved("ssisd_history_writes_total");
    assert!(writes >= 4.0, "{text}");
    assert!(
        moved("ssisd_history_transactions_total") <= writes,
        "{text}"
    );
    assert_eq!(
        value(
            &after,
            r#"ssisd_http_requests_total{route="/api/v1/running",method="POST",code="201"}"#
        ),
        2.0,
        "{text}"
    );
    // Imports are labelled by their route template, never by the package's path.
    assert!(
        value(
            &after,
            r#"ssisd_http_requests_total{route="/api/v1/packages/{tail:.*}",method="PUT",code="201"}"#
        ) >= 2.0,
        "{text}"
    );
    assert!(
        !text.contains("orders\""),
        "a raw path became a label: {text}"
    );
    assert!(
        value(
            &after,
            r#"ssisd_http_request_duration_seconds_count{route="/metrics",method="GET",code="200"}"#
        ) >= 1.0,
        "{text}"
    );
    let (code, _) = request(
        &format!("http://{}/nowhere/File%20System", s.addr),
        "GET",
        None,
    );
    assert_eq!(code, 404);
    let (text, _) = scrape(&s);
    assert!(
        text.contains(r#"route="unmatched",method="GET",code="404""#),
        "{text}"
    );
    assert!(!text.contains("nowhere"), "{text}");

    // The Unix socket reads it too (a local caller).
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "--unix-socket"])
        .arg(s.socket())
        .arg("http://localhost/metrics")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ssisd_runs_started_total"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Only GET.
    let (code, _) = request(&format!("http://{}/metrics", s.addr), "POST", Some(b"{}"));
    assert_eq!(code, 405);
}

/// A non-loopback IPv4 address of this machine, if it has one.
fn outside_address() -> Option<String> {
    let out = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|a| a.parse::<std::net::Ipv4Addr>().ok())
        .find(|a| !a.is_loopback())
        .map(|a| a.to_string())
}

/// `GET /metrics` over TLS to `localhost:port` resolved to `ip`; the status.
fn tls_scrape(port: &str, ip: &str, ca: &Path, token: Option<&str>) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args([
        "-s",
        "-S",
        "--max-time",
        "30",
        "-w",
        "\n%{http_code}",
        "--cacert",
    ])
    .arg(ca)
    .args(["--resolve", &format!("localhost:{port}:{ip}")])
    .arg(format!("https://localhost:{port}/metrics"));
    if let Some(t) = token {
        c.arg("-H").arg(format!("Authorization: Bearer {t}"));
    }
    let out = c.output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn a_caller_from_elsewhere_needs_the_administrator_role() {
    let pki = TestPki::new();
    let tokens = pki.dir.path().join("tokens");
    let admin = create_token(&tokens, "ana", "administrator");
    let operator = create_token(&tokens, "oscar", "operator");
    let Some(ip) = outside_address() else {
        println!("SKIPPED: this machine has no non-loopback address to call from");
        return;
    };
    let env = [
        ("SSISD_SERVICE__LISTEN", "0.0.0.0:0".to_string()),
        ("SSISD_SERVICE__UNAUTHENTICATED_LOOPBACK", "false".into()),
        (
            "SSISD_ACCESS__TLS_CERTIFICATE",
            pki.cert.display().to_string(),
        ),
        ("SSISD_ACCESS__TLS_KEY", pki.key.display().to_string()),
        ("SSISD_ACCESS__TOKENS_FILE", tokens.display().to_string()),
    ];
    let s = Service::start_in(
        support::temp_dir(),
        support::Options {
            config: None,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        },
    );
    let port = s.addr.rsplit(':').next().unwrap().to_string();

    let (code, body) = tls_scrape(&port, &ip, &pki.ca, None);
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("needs credentials"), "{body}");
    let (code, body) = tls_scrape(&port, &ip, &pki.ca, Some(&operator));
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("administrator role"), "{body}");
    let (code, body) = tls_scrape(&port, &ip, &pki.ca, Some(&admin));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("ssisd_http_requests_total"), "{body}");
    // The refusals are counted like any answer.
    assert!(
        body.contains(r#"ssisd_http_requests_total{route="/metrics",method="GET",code="403"} 1"#),
        "{body}"
    );
    // From this machine, no credentials are needed (metrics.loopback), whoever calls.
    let (code, body) = tls_scrape(&port, "127.0.0.1", &pki.ca, None);
    assert_eq!(code, 200, "{body}");
    // The refusal of the operator is in the event log.
    let (_, events) = tls_scrape_events(&port, &pki.ca, &admin);
    assert!(events.contains("metrics"), "{events}");
}

fn tls_scrape_events(port: &str, ca: &Path, token: &str) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "--cacert"])
        .arg(ca)
        .arg(format!(
            "https://localhost:{port}/api/v1/events?event_id=1042&limit=10"
        ))
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .output()
        .unwrap();
    (0, String::from_utf8_lossy(&out.stdout).to_string())
}
