//! End-to-end tests of deployed projects in the real service: `ssisctl import` of the Sales
//! project folder (packed into an `.ispac` on the way) and of an `.ispac`, the folder listing
//! (`ssisctl ls`, `GET /api/v1/folders/…`) with the project's packages, parameters — a
//! sensitive one without its value — and connection managers, `ssisctl run --project … --par
//! … --wait` and `POST /api/v1/running` naming project and package (the sensitive value never
//! in the events or on the runner's command line), the errors for a package the project does
//! not have and for bytes that are not a project, export and delete.

mod support;

use std::path::Path;
use std::time::Duration;

use support::{http, json, read_text, ssisctl, temp_dir, wait_event, Service};

const SALES: &str = "tests/packages/project/Sales";

fn ok(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "ssisctl failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_deployed_project_is_listed_and_its_packages_run() {
    let s = Service::start();
    let sales = root().join(SALES);
    let text = ok(&ssisctl(
        &s,
        &["import", sales.to_str().unwrap(), "File System"],
    ));
    assert!(text.contains("4 packages"), "{text}");
    // The listing describes it; the sensitive parameter has no value.
    let (code, body) = http(&s, "GET", "folders/File%20System", None);
    assert_eq!(code, 200);
    let listing = json(&body);
    let project = &listing["projects"][0];
    assert_eq!(project["name"], "Sales", "{listing}");
    let d = &project["project"];
    assert_eq!(d["version"], "1.2.3");
    assert_eq!(d["packages"][1]["file"], "Load Orders.dtsx");
    assert_eq!(d["packages"][3]["entry_point"], false);
    let key = d["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "ApiKey")
        .unwrap()
        .clone();
    assert!(key["sensitive"] == true && key["value"].is_null(), "{key}");
    assert_eq!(d["connection_managers"][0]["name"], "Report File");
    let ls = ok(&ssisctl(&s, &["ls", "File System"]));
    assert!(ls.contains("Sales\\Load Orders.dtsx"), "{ls}");
    assert!(ls.contains("project, 4 package(s)"), "{ls}");

    // ssisctl run --project … --wait, parameters given privately.
    let out = temp_dir();
    let dir = format!("$Project::OutputDir;{}", out.path().display());
    let run = ssisctl(
        &s,
        &[
            "run",
            "--project",
            "File System/Sales",
            "Master",
            "--par",
            &dir,
            "--par",
            "$Project::ApiKey;very-secret-key",
            "--par",
            "$Project::RunLabel;deployed",
            "--wait",
        ],
    );
    let text =
        String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert_eq!(
        read_text(out.path().join("report.txt")),
        "from-master:deployed-10\n"
    );
    assert_eq!(read_text(out.path().join("master.txt")), "deployed\n");
    // The run is named after the project and package; the secret is nowhere in the log.
    let (_, body) = http(&s, "GET", "events?limit=1000", None);
    let events = String::from_utf8_lossy(&body).to_string();
    assert!(events.contains("Sales.ispac\\\\Master.dtsx"), "{events}");
    assert!(!events.contains("very-secret-key"), "{events}");

    // The same through the API, with a package the project does not have.
    let body = serde_json::json!({"project": "File System/Sales", "package": "Nope"}).to_string();
    let (code, answer) = http(&s, "POST", "running", Some(body.as_bytes()));
    assert_eq!(code, 404, "{}", String::from_utf8_lossy(&answer));
    assert!(
        String::from_utf8_lossy(&answer).contains("Master.dtsx, Load Orders.dtsx"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let out2 = temp_dir();
    let body = serde_json::json!({
        "project": "File System/Sales",
        "package": "Load Orders.dtsx",
        "parameters": [format!("$Project::OutputDir;{}", out2.path().display()), "$Project::ApiKey;k"],
    })
    .to_string();
    let (code, answer) = http(&s, "POST", "running", Some(body.as_bytes()));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    let id = json(&answer)["id"].as_str().unwrap().to_string();
    wait_event(&s, 12289, &id, Duration::from_secs(30));
    assert_eq!(read_text(out2.path().join("orders.txt")), "own:dev-10\n");
    // Without the required sensitive parameter the run fails, saying which one.
    let body =
        serde_json::json!({"project": "File System/Sales", "package": "Load Orders"}).to_string();
    let (code, answer) = http(&s, "POST", "running", Some(body.as_bytes()));
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&answer));
    let id = json(&answer)["id"].as_str().unwrap().to_string();
    wait_event(&s, 12291, &id, Duration::from_secs(30));
    // A parameter that is not what /Par takes is refused before anything starts.
    let body = serde_json::json!({"project": "File System/Sales", "package": "Master", "parameters": ["no value"]}).to_string();
    let (code, _) = http(&s, "POST", "running", Some(body.as_bytes()));
    assert_eq!(code, 400);
}

#[test]
fn ispac_import_export_refusals_and_delete() {
    let s = Service::start();
    let work = temp_dir();
    // An .ispac written by the engine's own packer from the folder.
    let project = ssisd_engine::project::Project::open(
        &root().join(SALES),
        &ssisd_engine::LoadOptions::default(),
    )
    .unwrap();
    let ispac = work.path().join("Sales Build.ispac");
    std::fs::write(&ispac, project.to_ispac().unwrap()).unwrap();
    ok(&ssisctl(&s, &["mkdir", "File System/ETL"]));
    let text = ok(&ssisctl(
        &s,
        &["import", ispac.to_str().unwrap(), "File System/ETL"],
    ));
    assert!(text.contains("File System\\ETL\\Sales Build"), "{text}");
    // Again without --overwrite: 409; with it: replaced.
    let again = ssisctl(&s, &["import", ispac.to_str().unwrap(), "File System/ETL"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    ok(&ssisctl(
        &s,
        &[
            "import",
            ispac.to_str().unwrap(),
            "File System/ETL",
            "--overwrite",
        ],
    ));
    // Bytes that are not a project are refused and nothing is stored.
    let (code, answer) = http(
        &s,
        "PUT",
        "projects/File%20System/ETL/Bad",
        Some(&support::small_package("P")),
    );
    assert_eq!(code, 400, "{}", String::from_utf8_lossy(&answer));
    assert!(String::from_utf8_lossy(&answer).contains("not an SSIS project"));
    let (code, _) = http(&s, "HEAD", "projects/File%20System/ETL/Bad", None);
    assert_eq!(code, 404);
    // Export byte for byte, then delete.
    let exported = work.path().join("out.ispac");
    ok(&ssisctl(
        &s,
        &[
            "export",
            "File System/ETL/Sales Build",
            exported.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        std::fs::read(&exported).unwrap(),
        std::fs::read(&ispac).unwrap()
    );
    ok(&ssisctl(&s, &["rm", "File System/ETL/Sales Build"]));
    let (code, _) = http(&s, "HEAD", "projects/File%20System/ETL/Sales%20Build", None);
    assert_eq!(code, 404);
    let codes = s.event_codes(200);
    assert!(codes.contains(&1027) && codes.contains(&1028), "{codes:?}");
}
