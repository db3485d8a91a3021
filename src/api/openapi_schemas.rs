//! What the handlers' annotations cannot say about the API, applied to the generated OpenAPI
//! document: the JSON schema of every answer (written here from the structures the handlers
//! serialise), the answers every operation can give before its handler runs (a refused `Host`
//! or origin, authentication, its rate limit, an unreadable user database), the media types of
//! bodies, `{path}` parameters that span several segments, and the limits of names and query
//! parameters. It describes; it must not route or decide. A change to what a handler answers
//! changes its schema here, and the fuzzing test (tests/api_fuzz.rs) checks every answer
//! against it.

use serde_json::{json, Map, Value};

/// How a name is written: 1–128 characters without path separators, the characters Windows
/// forbids in file names, control characters, a leading `.` or white space at either end (the
/// 250-byte limit is in the description: JSON Schema counts characters only).
const NAME_PATTERN: &str =
    r#"^[^/\\"<>|:*?\x00-\x1f\x7f.\s]([^/\\"<>|:*?\x00-\x1f\x7f]*[^/\\"<>|:*?\x00-\x1f\x7f\s])?$"#;
const NAME_RULE: &str = "1 to 128 characters and at most 250 bytes of UTF-8 (a name becomes a file name, with .dtsx for a package, and file names have at most 255 bytes); none of / \\ \" < > | : * ? or control characters; not starting with '.'; no white space at either end";

fn error_body() -> Value {
    json!({ "$ref": "#/components/schemas/ErrorBody" })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// The schemas of the answers, by name.
fn schemas() -> Vec<(&'static str, Value)> {
    let package_info = json!({
        "name": string(),
        "size": { "type": "integer", "minimum": 0 },
        "modified": { "type": ["string", "null"], "format": "date-time" },
        "object_name": string(),
        "id": string(),
        "description": string(),
        "creator_name": string(),
        "creator_computer": string(),
        "creation_date": string(),
        "version_major": { "type": "integer" },
        "version_minor": { "type": "integer" },
        "version_build": { "type": "integer" },
        "version_guid": string(),
        "version_comments": string(),
        "protection_level": { "type": "string", "description": "DontSaveSensitive, EncryptSensitiveWithUserKey, EncryptSensitiveWithPassword, EncryptAllWithPassword, EncryptAllWithUserKey or ServerStorage" },
        "format_version": { "type": "integer" },
        "package_type": { "type": "integer" },
        "encrypted": { "type": "boolean", "description": "Encrypted as a whole: nothing else is known until it is decrypted" }
    });
    let mut package_entry = package_info.clone();
    package_entry["error"] =
        json!({ "type": "string", "description": "The stored file cannot be read as a package" });
    let run_view = json!({
        "id": string(),
        "package": string(),
        "pid": { "type": ["integer", "null"], "description": "The runner's pid on this machine (none for a run on a cluster engine)" },
        "state": { "type": "string", "description": "queued (waiting for a place on its executor, or held by the engine), starting, running or stopping" },
        "queued_reason": { "type": "string", "description": "Why a queued run waits: its executor's capacity, or the engine's own reason" },
        "executor": { "type": "string", "description": "The executor the run is on (local unless it chose another)" },
        "external_id": { "type": "string", "description": "The run's id on its executor's engine (a Slurm job id)" },
        "source": string(),
        "user": string(),
        "how": { "type": "string", "description": "api, schedule:<name> or dtexec" },
        "started_at": time(),
        "executing": strings(),
        "last_message": { "type": ["string", "null"] },
        "run_dir": string(),
        "events": string()
    });
    let run_required = [
        "id",
        "package",
        "state",
        "executor",
        "source",
        "user",
        "started_at",
        "executing",
    ];
    let mut run_detail = run_view.clone();
    run_detail["recent_messages"] = strings();
    run_detail["rows_per_path"] = json!({
        "type": "array",
        "description": "Rows per data-flow path so far, one entry per path (its Data Flow task and path id), updated about once a second while the data flow runs; `final` once the data flow has ended and `rows` is its total. At most 512 paths.",
        "items": object(
            &["task_path", "task_name", "path_id", "path_name", "destination_component", "input", "rows", "buffers", "final"],
            json!({
                "task_path": string(),
                "task_name": string(),
                "path_id": { "type": "integer" },
                "path_name": string(),
                "destination_component": string(),
                "input": string(),
                "rows": { "type": "integer", "minimum": 0 },
                "buffers": { "type": "integer", "minimum": 0 },
                "final": { "type": "boolean" }
            }),
        )
    });
    let mut run_detail_required = run_required.to_vec();
    run_detail_required.extend(["recent_messages", "rows_per_path"]);
    vec![
        (
            "RunArguments",
            object(
                &["file", "sets"],
                json!({
                    "file": { "type": "string", "enum": ["package.dtsx", "project.ispac"], "description": "The name to write the package's bytes under" },
                    "project_package": { "type": "string", "description": "The package of the project to run (/Package)" },
                    "sets": strings(),
                    "reporting": { "type": "string", "description": "dtexec's /Reporting level" }
                }),
            ),
        ),
        (
            "FolderHealth",
            object(
                &["state"],
                json!({
                    "state": { "type": "string", "enum": ["starting", "available", "restarting", "unavailable", "failed"] },
                    "detail": { "type": "string", "description": "Why it is not available" }
                }),
            ),
        ),
        (
            "FolderStatus",
            object(
                &["name", "kind", "location", "health", "since"],
                json!({
                    "name": string(),
                    "kind": { "type": "string", "description": "file-system or sql-server" },
                    "location": string(),
                    "health": schema_ref("FolderHealth"),
                    "since": time()
                }),
            ),
        ),
        (
            "Caller",
            object(
                &["identity", "role", "via", "sql_roles"],
                json!({
                    "identity": string(),
                    "role": { "type": "string", "enum": ["administrator", "operator", "limited-user"] },
                    "via": string(),
                    "sql_roles": strings()
                }),
            ),
        ),
        (
            "Status",
            object(
                &[
                    "service",
                    "version",
                    "pid",
                    "started_at",
                    "uptime_seconds",
                    "data_dir",
                    "configuration",
                    "stop_executing_packages_on_shutdown",
                    "folders",
                    "caller",
                ],
                json!({
                    "service": string(),
                    "version": string(),
                    "pid": { "type": "integer" },
                    "started_at": time(),
                    "uptime_seconds": { "type": "number", "minimum": 0 },
                    "listen": { "type": ["string", "null"] },
                    "data_dir": string(),
                    "configuration": string(),
                    "stop_executing_packages_on_shutdown": { "type": "boolean" },
                    "folders": { "type": "array", "items": schema_ref("FolderStatus") },
                    "caller": schema_ref("Caller")
                }),
            ),
        ),
        (
            "TopLevelFolders",
            object(
                &["folders"],
                json!({ "folders": { "type": "array", "items": schema_ref("FolderStatus") } }),
            ),
        ),
        (
            "PackageInfo",
            object(&["name", "size", "encrypted"], package_info),
        ),
        (
            "PackageEntry",
            object(&["name", "size", "encrypted"], package_entry),
        ),
        (
            "FolderListing",
            object(
                &["top_level_folder", "path", "folders", "packages"],
                json!({
                    "top_level_folder": string(),
                    "path": { "type": "string", "description": "SSIS spelling, e.g. \\File System\\Sales" },
                    "folders": { "type": "array", "items": object(&["name"], json!({ "name": string() })) },
                    "packages": { "type": "array", "items": schema_ref("PackageEntry") },
                    "projects": { "type": "array", "items": schema_ref("ProjectInfo"), "description": "Deployed projects (.ispac), on the first page only" },
                    "yours": { "type": "array", "items": string(), "description": "For a limited user: the names of this folder's packages it owns" }
                }),
            ),
        ),
        (
            "ProjectInfo",
            object(
                &["name", "size", "project"],
                json!({
                    "name": string(),
                    "size": { "type": "integer", "minimum": 0 },
                    "modified": { "type": ["string", "null"], "format": "date-time" },
                    "project": {
                        "description": "What the project's manifest, parameters and connection managers say; null when the stored file cannot be read as a project",
                        "oneOf": [{ "type": "null" }, schema_ref("ProjectSummary")]
                    },
                    "error": { "type": "string", "description": "The stored file cannot be read as a project" }
                }),
            ),
        ),
        (
            "ProjectSummary",
            object(
                &[
                    "name",
                    "id",
                    "protection_level",
                    "version",
                    "packages",
                    "parameters",
                    "connection_managers",
                ],
                json!({
                    "name": string(),
                    "id": string(),
                    "protection_level": string(),
                    "version": string(),
                    "packages": { "type": "array", "items": object(&["file", "entry_point"], json!({ "file": string(), "entry_point": { "type": "boolean" } })) },
                    "parameters": { "type": "array", "items": object(&["name", "data_type", "required", "sensitive", "value"], json!({
                        "name": string(),
                        "data_type": string(),
                        "required": { "type": "boolean" },
                        "sensitive": { "type": "boolean" },
                        "value": { "type": ["string", "null"], "description": "null for a sensitive parameter" }
                    })) },
                    "connection_managers": { "type": "array", "items": object(&["name", "kind"], json!({ "name": string(), "kind": string() })) }
                }),
            ),
        ),
        (
            "ProjectStored",
            object(
                &["path", "replaced", "project"],
                json!({
                    "path": string(),
                    "replaced": { "type": "boolean" },
                    "project": schema_ref("ProjectInfo")
                }),
            ),
        ),
        ("PathAnswer", object(&["path"], json!({ "path": string() }))),
        (
            "SchedulePreview",
            object(
                &["valid", "effective_time_zone", "next_runs"],
                json!({
                    "valid": { "type": "boolean" },
                    "effective_time_zone": string(),
                    "next_runs": { "type": "array", "items": time(), "maxItems": 5 }
                }),
            ),
        ),
        (
            "Stored",
            object(
                &["path", "replaced", "package"],
                json!({
                    "path": string(),
                    "replaced": { "type": "boolean" },
                    "package": schema_ref("PackageInfo")
                }),
            ),
        ),
        (
            "Transferred",
            object(
                &["from", "path", "replaced", "moved", "package"],
                json!({
                    "from": string(),
                    "path": string(),
                    "replaced": { "type": "boolean" },
                    "moved": { "type": "boolean" },
                    "package": schema_ref("PackageInfo")
                }),
            ),
        ),
        (
            "RunStarted",
            object(
                &["id", "package", "user", "state"],
                json!({ "id": string(), "package": string(), "user": string(), "state": string() }),
            ),
        ),
        ("RunView", object(&run_required, run_view)),
        (
            "RunList",
            object(
                &["running"],
                json!({ "running": { "type": "array", "items": schema_ref("RunView") } }),
            ),
        ),
        ("RunDetail", object(&run_detail_required, run_detail)),
        (
            "Stopping",
            object(
                &["id", "state"],
                json!({ "id": string(), "state": string() }),
            ),
        ),
        (
            "Event",
            object(
                &[
                    "id", "time", "level", "source", "event_id", "message", "fields",
                ],
                json!({
                    "id": { "type": "integer" },
                    "time": time(),
                    "level": { "type": "string", "enum": ["information", "warning", "error"] },
                    "source": string(),
                    "event_id": { "type": "integer", "minimum": 0 },
                    "message": string(),
                    "fields": { "type": "object" }
                }),
            ),
        ),
        (
            "Events",
            object(
                &["events"],
                json!({ "events": { "type": "array", "items": schema_ref("Event") } }),
            ),
        ),
        (
            "Execution",
            object(
                &[
                    "id",
                    "package",
                    "status",
                    "status_code",
                    "start_time",
                    "end_time",
                    "started_by",
                    "caller",
                    "logging_level",
                    "sets",
                    "errors",
                    "warnings",
                ],
                json!({
                    "id": string(),
                    "package": string(),
                    "package_name": { "type": ["string", "null"] },
                    "package_id": { "type": ["string", "null"] },
                    "status": { "type": "string", "enum": ["created", "running", "canceled", "failed", "pending", "ended unexpectedly", "succeeded", "stopping", "completed"] },
                    "status_code": { "type": "integer", "minimum": 1, "maximum": 9 },
                    "start_time": time(),
                    "end_time": { "type": ["string", "null"], "format": "date-time" },
                    "duration_ms": { "type": ["integer", "null"], "minimum": 0 },
                    "started_by": { "type": "string", "description": "api, schedule:<name> or dtexec" },
                    "caller": string(),
                    "pid": { "type": ["integer", "null"] },
                    "exit_code": { "type": ["integer", "null"] },
                    "exit": { "type": ["string", "null"] },
                    "logging_level": { "type": "string", "enum": ["none", "basic", "performance", "verbose"] },
                    "sets": { "type": "array", "items": string(), "description": "/Set options, sensitive values masked" },
                    "errors": { "type": "integer", "minimum": 0 },
                    "warnings": { "type": "integer", "minimum": 0 }
                }),
            ),
        ),
        (
            "Executions",
            object(
                &["executions"],
                json!({ "executions": { "type": "array", "items": schema_ref("Execution") } }),
            ),
        ),
        (
            "ExecutionMessages",
            object(
                &["messages"],
                json!({ "messages": { "type": "array", "items": object(
                    &["id", "time", "message_type", "message_type_name", "source", "path", "code", "message"],
                    json!({
                        "id": { "type": "integer" },
                        "time": time(),
                        "message_type": { "type": "integer", "description": "The catalog's message type: 30 pre-execute, 40 post-execute, 60 progress, 70 information, 80 variable value changed, 110 warning, 120 error, 130 task failed" },
                        "message_type_name": string(),
                        "source": string(),
                        "path": string(),
                        "code": { "type": ["string", "null"] },
                        "message": string()
                    }),
                ) } }),
            ),
        ),
        (
            "ExecutionStatistics",
            object(
                &["executables", "data_flow"],
                json!({
                    "executables": { "type": "array", "items": object(
                        &["path", "name", "kind", "start_time", "end_time", "duration_ms", "result", "result_code"],
                        json!({
                            "path": string(),
                            "name": string(),
                            "kind": string(),
                            "start_time": time(),
                            "end_time": { "type": ["string", "null"], "format": "date-time" },
                            "duration_ms": { "type": ["number", "null"] },
                            "result": { "type": ["string", "null"], "enum": ["success", "failure", "completion", "canceled", null] },
                            "result_code": { "type": ["integer", "null"] }
                        }),
                    ) },
                    "data_flow": { "type": "array", "items": object(
                        &["task_path", "task_name", "path_id", "path_name", "destination_component", "input", "rows_sent", "time"],
                        json!({
                            "task_path": string(),
                            "task_name": string(),
                            "path_id": { "type": "integer" },
                            "path_name": string(),
                            "destination_component": string(),
                            "input": string(),
                            "rows_sent": { "type": "integer", "minimum": 0 },
                            "time": time()
                        }),
                    ) }
                }),
            ),
        ),
        ("Schedule", {
            let mut shown = object(
                &[
                    "name",
                    "package",
                    "source",
                    "owner",
                    "effective_time_zone",
                    "active",
                    "max_active",
                    "catch_up",
                    "retry_attempts",
                    "retry_interval",
                ],
                json!({
                    "name": string(),
                    "package": string(),
                    "source": { "type": "string", "enum": ["configuration", "api"] },
                    "owner": string(),
                    "effective_time_zone": string(),
                    "next_run": { "type": ["string", "null"], "format": "date-time" },
                    "last_run": { "type": ["string", "null"], "format": "date-time" },
                    "last_execution": { "type": ["string", "null"] },
                    "active": { "type": "integer", "minimum": 0, "description": "Runs of the schedule going now" },
                    "created": time(),
                    "modified": time(),
                    "max_active": { "type": "integer", "minimum": 1 },
                    "catch_up": { "type": "string", "enum": ["none", "last", "all"] },
                    "retry_attempts": { "type": "integer", "minimum": 0 },
                    "retry_interval": { "type": "integer", "minimum": 0 }
                }),
            );
            shown["description"] = json!(
                "A schedule: its definition (as ScheduleDef) with what the service shows of it"
            );
            shown
        }),
        (
            "Schedules",
            object(
                &["schedules"],
                json!({ "schedules": { "type": "array", "items": schema_ref("Schedule") } }),
            ),
        ),
        (
            "ScheduleRunStarted",
            object(
                &["id", "schedule", "package", "state"],
                json!({ "id": string(), "schedule": string(), "package": string(), "state": string() }),
            ),
        ),
        (
            "ReloadSummary",
            object(
                &["added", "removed", "changed", "retried"],
                json!({ "added": strings(), "removed": strings(), "changed": strings(), "retried": strings() }),
            ),
        ),
    ]
}

/// The schema of each successful answer: (method, path, status, schema name).
const ANSWERS: &[(&str, &str, &str, &str)] = &[
    ("get", "/api/v1/status", "200", "Status"),
    ("get", "/api/v1/whoami", "200", "Caller"),
    ("post", "/api/v1/reload", "200", "ReloadSummary"),
    ("get", "/api/v1/folders", "200", "TopLevelFolders"),
    ("get", "/api/v1/folders/{path}", "200", "FolderListing"),
    ("post", "/api/v1/folders/{path}", "201", "PathAnswer"),
    ("patch", "/api/v1/folders/{path}", "200", "PathAnswer"),
    ("put", "/api/v1/packages/{path}", "200", "Stored"),
    ("put", "/api/v1/packages/{path}", "201", "Stored"),
    ("patch", "/api/v1/packages/{path}", "200", "PathAnswer"),
    ("put", "/api/v1/projects/{path}", "200", "ProjectStored"),
    ("put", "/api/v1/projects/{path}", "201", "ProjectStored"),
    ("post", "/api/v1/copy", "200", "Transferred"),
    ("post", "/api/v1/copy", "201", "Transferred"),
    ("post", "/api/v1/move", "200", "Transferred"),
    ("post", "/api/v1/move", "201", "Transferred"),
    ("post", "/api/v1/running", "201", "RunStarted"),
    ("get", "/api/v1/running", "200", "RunList"),
    ("get", "/api/v1/running/{id}", "200", "RunDetail"),
    ("get", "/api/v1/runs/{id}/arguments", "200", "RunArguments"),
    ("get", "/api/v1/executions", "200", "Executions"),
    ("get", "/api/v1/executions/{id}", "200", "Execution"),
    (
        "get",
        "/api/v1/executions/{id}/messages",
        "200",
        "ExecutionMessages",
    ),
    (
        "get",
        "/api/v1/executions/{id}/statistics",
        "200",
        "ExecutionStatistics",
    ),
    ("post", "/api/v1/running/{id}/stop", "202", "Stopping"),
    ("get", "/api/v1/schedules", "200", "Schedules"),
    ("post", "/api/v1/schedules", "201", "Schedule"),
    ("post", "/api/v1/schedules", "200", "SchedulePreview"),
    ("get", "/api/v1/schedules/{name}", "200", "Schedule"),
    ("put", "/api/v1/schedules/{name}", "200", "Schedule"),
    (
        "post",
        "/api/v1/schedules/{name}/run",
        "201",
        "ScheduleRunStarted",
    ),
    ("get", "/api/v1/events", "200", "Events"),
];

/// Answers any operation can give before its handler runs.
fn common_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("400", "Bad name, path, query or body; or a Host that is not one of the service's names (service.host_names)"),
        ("401", "No or refused credentials"),
        ("403", "The caller's role does not allow it, or a change came from another web origin (the message says why)"),
        ("429", "Too many failed authentications from this address; retry after the Retry-After seconds"),
        ("503", "The folder's store, the event log or the user database is unavailable; retry"),
    ]
}

fn error_answer(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": error_body() } } })
}

/// Applies everything above to the generated document.
pub fn complete(doc: &mut Value) {
    let components = doc["components"]["schemas"]
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut all: Map<String, Value> = components;
    for (name, schema) in schemas() {
        all.insert(name.to_string(), schema);
    }
    if let Some(transfer) = all.get_mut("Transfer") {
        transfer["example"] = json!({ "from": "File System/F/P", "to": "File System/F/P2" });
    }
    if let Some(start) = all.get_mut("StartBody") {
        start["example"] = json!({ "package": "File System/F/P", "reporting": "EW" });
        start["properties"]["reporting"]["description"] = json!("dtexec's /Reporting level (N, E, W, I, C, D, P, V, optionally with event names after ';'); at most 32 KiB");
        start["properties"]["set"]["description"] = json!("dtexec /Set values (`\\Package.Variables[User::N].Value;5`); at most 256, each at most 32 KiB, 256 KiB together");
        start["properties"]["set"]["maxItems"] = json!(256);
    }
    if let Some(rename) = all.get_mut("Rename") {
        rename["properties"]["name"] = json!({
            "type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN,
            "description": NAME_RULE
        });
    }
    doc["components"]["schemas"] = Value::Object(all);

    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        let Some(ops) = ops.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            complete_operation(path, method, op);
        }
    }
}

fn complete_operation(path: &str, method: &str, op: &mut Value) {
    let responses = &mut op["responses"];
    for (m, p, status, schema) in ANSWERS {
        if *m == method && *p == path {
            responses[*status]["content"] =
                json!({ "application/json": { "schema": schema_ref(schema) } });
        }
    }
    for (status, description) in common_answers() {
        if responses.get(status).is_none() {
            responses[status] = error_answer(description);
        }
    }
    let has_body = op.get("requestBody").is_some();
    let responses = &mut op["responses"];
    if has_body {
        responses["415"] =
            error_answer("The body is not of the media type the operation reads (Content-Type)");
        if responses.get("413").is_none() {
            responses["413"] = error_answer("The body is larger than the operation accepts");
        }
    }
    if method == "head" {
        // HEAD answers carry no body.
        if let Some(r) = responses.as_object_mut() {
            for answer in r.values_mut() {
                if let Some(a) = answer.as_object_mut() {
                    a.remove("content");
                }
            }
        }
    }
    if path == "/api/v1/packages/{path}" {
        if method == "put" {
            let binary = json!({ "schema": { "type": "string", "format": "binary" } });
            op["requestBody"]["content"] = json!({
                "application/xml": binary,
                "text/xml": binary,
                "application/octet-stream": binary,
            });
            op["requestBody"]["description"] = json!("The .dtsx file, stored byte for byte. Its XML nests at most 256 elements deep and carries at most 256 attributes on one element; larger than service.max_request_bytes (64 MiB by default) is 413");
        }
        if method == "get" {
            op["responses"]["200"]["content"] = json!({ "application/xml": { "schema": { "type": "string", "format": "binary" } } });
        }
    }
    if path.ends_with("/stream") {
        // Server-sent events: each event's fields, its data a JSON text.
        let data = if path == "/api/v1/events/stream" {
            "An Event as JSON (or, in the last event `end`, why the stream ends)"
        } else {
            "One record of the run's event stream as JSON (or, in the last event `end`, why the stream ends)"
        };
        op["responses"]["200"]["content"] = json!({ "text/event-stream": { "schema": {
            "type": "object",
            "properties": {
                "id": { "type": "string" },
                "event": { "type": "string" },
                "data": { "type": "string", "contentMediaType": "application/json", "description": data }
            }
        } } });
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            complete_parameter(path, p);
        }
    }
}

fn complete_parameter(path: &str, p: &mut Value) {
    let name = p["name"].as_str().unwrap_or("").to_string();
    match (p["in"].as_str().unwrap_or(""), name.as_str()) {
        ("path", "path") => {
            p["description"] = json!(format!(
                "The top-level folder, then folders (then the package), separated by / — written as / or as %2F, both are separators. Each name: {NAME_RULE}. A trailing .dtsx on a package name is ignored"
            ));
            p["schema"] = json!({ "type": "string", "minLength": 1 });
            p["example"] = json!(if path.starts_with("/api/v1/packages/") {
                "File System/F/P"
            } else {
                "File System/F"
            });
        }
        ("query", "limit") => {
            p["schema"] =
                json!({ "type": "integer", "minimum": 1, "maximum": 10000, "default": 100 });
            p["description"] = json!("Most events returned, 1 to 10000 (default 100)");
        }
        ("query", "order") => {
            p["schema"] = json!({ "type": "string", "enum": ["desc", "asc", "newest", "oldest"], "default": "desc" });
            p["description"] = json!("desc (newest, the default) or asc (oldest first)");
        }
        ("query", "since") | ("query", "until") => {
            p["schema"] = json!({ "type": "string", "format": "date-time" });
            p["description"] = json!("An RFC 3339 time such as 2026-11-24T10:00:00Z");
        }
        ("query", "since_id") => {
            p["description"] = json!("Only events with a greater id");
        }
        ("query", "level") => {
            p["description"] = json!(
                "Comma-separated levels: information, warning, error (or info, warn, i, w, e)"
            );
        }
        ("query", "event_id") => {
            p["description"] = json!("Comma-separated numeric event ids");
        }
        ("query", "source") => {
            p["description"] = json!("Comma-separated sources, e.g. ssisd,SQLISService");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_gets_the_common_answers_and_every_reference_resolves() {
        let mut doc =
            serde_json::to_value(<super::super::openapi::ApiDoc as utoipa::OpenApi>::openapi())
                .unwrap();
        complete(&mut doc);
        let text = doc.to_string();
        for (_, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for status in ["400", "401", "403", "429", "503"] {
                    assert!(
                        op["responses"].get(status).is_some(),
                        "{method} lacks {status}"
                    );
                }
            }
        }
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| *c != '"').collect();
            assert!(schemas.contains_key(&name), "{name} is not defined");
        }
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                for (status, answer) in op["responses"].as_object().unwrap() {
                    if let Some(schema) = answer.pointer("/content/application~1json/schema") {
                        assert!(
                            schema.get("$ref").is_some(),
                            "{method} {path} {status} is described as {schema}"
                        );
                    }
                }
            }
        }
    }
}
