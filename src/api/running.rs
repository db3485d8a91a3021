//! `/api/v1/running`: start a stored package (POST; 201 with the execution id at once, 429 past
//! `service.max_concurrent_packages`), list the runs (GET), one run's details and recent
//! messages (GET `/{id}`), follow one run's event stream (GET `/{id}/stream`, server-sent
//! events), and stop one (POST `/{id}/stop`; 202 at once). The package bytes come from the store
//! actor; starting, following and stopping are the Package actor's. This file must not spawn
//! or signal processes itself.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use serde::Deserialize;
use serde_json::json;
use ssisd_actors::package::{RunSpec, StopRun};
use ssisd_actors::supervisor::RunRefused;

use super::error::ApiError;
use super::target::package_target;
use super::{parse_json, store_call, AppState};

#[derive(Deserialize)]
struct StartBody {
    package: String,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    reporting: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let b: StartBody = parse_json(&body)?;
    let segments: Vec<String> = b
        .package
        .trim_matches(['/', '\\'])
        .split(['/', '\\'])
        .map(str::to_string)
        .collect();
    let (t, name) = package_target(&state.directory, &segments)?;
    let (folder, n) = (t.path.clone(), name.clone());
    let bytes = store_call(&t.store, move |s| {
        async move { s.get_package(&folder, &n).await }.boxed()
    })
    .await?;
    let user = b.user.unwrap_or_else(|| {
        req.peer_addr()
            .map(|a| format!("api@{a}"))
            .unwrap_or_else(|| "api".into())
    });
    let package = format!("{}\\{name}", t.display());
    let spec = RunSpec {
        id: String::new(),
        package: package.clone(),
        bytes: bytes.to_vec(),
        sets: b.set,
        reporting: b.reporting,
        user: user.clone(),
    };
    match state.control.start_run(spec).await {
        Ok(id) => Ok(HttpResponse::Created().json(json!({
            "id": id,
            "package": package,
            "user": user,
            "state": "starting",
        }))),
        Err(Some(e @ RunRefused::TooMany { .. })) => {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()))
        }
        Err(Some(e)) => Err(ApiError::unavailable(e.to_string())),
        Err(None) => Err(ApiError::unavailable("the supervisor did not answer")),
    }
}

pub async fn list(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "running": state.directory.runs() }))
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "no running package has the execution id {id}; a finished run leaves the list (its outcome is in the event log)"
    ))
}

pub async fn detail(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, _) = state.directory.run(&id).ok_or_else(|| unknown(&id))?;
    let mut v = serde_json::to_value(&view).unwrap_or_default();
    v["recent_messages"] = json!(view.recent);
    Ok(HttpResponse::Ok().json(v))
}

pub async fn stop(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, actor) = state.directory.run(&id).ok_or_else(|| unknown(&id))?;
    actor.do_send(StopRun);
    Ok(HttpResponse::Accepted().json(json!({ "id": id.as_str(), "state": "stopping" })))
}

/// Follows the run's event file: each record as one `data:` line, until the run has left the
/// list and the file is read to its end.
pub async fn stream(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (view, _) = state.directory.run(&id).ok_or_else(|| unknown(&id))?;
    let path = view.events.clone();
    let directory = state.directory.clone();
    let id = id.into_inner();
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(16);
    actix_web::rt::spawn(async move {
        let mut offset = 0u64;
        let mut partial = Vec::new();
        loop {
            let alive = directory.run(&id).is_some();
            let p = path.clone();
            let (next, bytes) =
                tokio::task::spawn_blocking(move || ssisd_actors::package::read_from(&p, offset))
                    .await
                    .unwrap_or((offset, Vec::new()));
            offset = next;
            partial.extend_from_slice(&bytes);
            if let Some(last) = partial.iter().rposition(|b| *b == b'\n') {
                let lines: Vec<u8> = partial.drain(..=last).collect();
                for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    let mut frame = b"data: ".to_vec();
                    frame.extend_from_slice(line);
                    frame.extend_from_slice(b"\n\n");
                    if tx.send(web::Bytes::from(frame)).await.is_err() {
                        return;
                    }
                }
            }
            if bytes.is_empty() {
                if !alive {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(body))
}
