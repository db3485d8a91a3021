//! `/api/v1/events`: query the event log (filters `since_id`, `since`, `until`, `level`,
//! `source`, `event_id`, `limit`, `order`; newest first by default) and follow it live as
//! server-sent events (`/api/v1/events/stream`, resuming after `since_id` or `Last-Event-ID`).
//! A follower that falls behind the live broadcast re-reads the gap from the database, so it
//! never misses an event.

use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ssisd_actors::event_log::Journal;
use ssisd_actors::{Event, EventQuery, Level};
use tokio::sync::{broadcast, mpsc};

use super::auth::{Caller, StreamAccess};
use super::error::ApiError;
use super::openapi::answers::{BadRequest, Forbidden, Unauthorized};
use super::AppState;
use crate::access::Operation;

const MAX_LIMIT: usize = 10_000;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Filters of an event query (all optional; lists are comma-separated).
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    since_id: Option<i64>,
    since: Option<String>,
    until: Option<String>,
    level: Option<String>,
    source: Option<String>,
    event_id: Option<String>,
    limit: Option<usize>,
    order: Option<String>,
}

fn parse_time(key: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    v.as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "{key}=\"{t}\" is not an RFC 3339 time such as 2026-11-24T10:00:00Z"
                    ))
                })
        })
        .transpose()
}

fn list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl EventParams {
    fn query(&self) -> Result<EventQuery, ApiError> {
        let levels = list(&self.level)
            .iter()
            .map(|l| {
                Level::parse(l).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "level \"{l}\" is not information, warning or error"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let event_ids = list(&self.event_id)
            .iter()
            .map(|i| {
                i.parse::<u32>()
                    .map_err(|_| ApiError::bad_request(format!("event_id \"{i}\" is not a number")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let oldest_first = match self.order.as_deref() {
            None | Some("desc") | Some("newest") => false,
            Some("asc") | Some("oldest") => true,
            Some(o) => {
                return Err(ApiError::bad_request(format!(
                    "order \"{o}\" is not asc or desc"
                )))
            }
        };
        let limit = self.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        Ok(EventQuery {
            after_id: self.since_id,
            since: parse_time("since", &self.since)?,
            until: parse_time("until", &self.until)?,
            levels,
            sources: list(&self.source),
            event_ids,
            limit,
            oldest_first,
        })
    }
}

async fn journal(state: &AppState) -> Result<Journal, ApiError> {
    state
        .events
        .journal()
        .await
        .ok_or_else(|| ApiError::unavailable("the event log is restarting; retry in a moment"))
}

async fn run_query(j: Journal, q: EventQuery) -> Result<Vec<Event>, ApiError> {
    tokio::task::spawn_blocking(move || j.query_blocking(&q))
        .await
        .map_err(|e| ApiError::unavailable(format!("event query failed: {e}")))?
        .map_err(|e| {
            ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            )
        })
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams), responses((status = 200, description = "Events, newest first unless order=asc", body = Object), BadRequest, Unauthorized, Forbidden))]
pub async fn query(
    caller: Caller,
    state: web::Data<AppState>,
    params: web::Query<EventParams>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::ReadEvents)?;
    let q = params.query()?;
    let events = run_query(journal(&state).await?, q).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "events": events })))
}

fn matches(q: &EventQuery, e: &Event) -> bool {
    (q.levels.is_empty() || q.levels.contains(&e.level))
        && (q.sources.is_empty() || q.sources.contains(&e.source))
        && (q.event_ids.is_empty() || q.event_ids.contains(&e.event_id))
}

fn frame(e: &Event) -> web::Bytes {
    let data = serde_json::to_string(e).unwrap_or_default();
    web::Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        e.id,
        e.level.as_str()
    ))
}

#[utoipa::path(get, path = "/api/v1/events/stream", tag = "events", params(EventParams), responses((status = 200, description = "The event log followed live (server-sent events)", content_type = "text/event-stream", body = String), BadRequest, Unauthorized, Forbidden))]
pub async fn stream(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    params: web::Query<EventParams>,
) -> Result<HttpResponse, ApiError> {
    state.allow_plain(&caller, Operation::ReadEvents)?;
    let mut q = params.query()?;
    let resume = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let j = journal(&state).await?;
    // Subscribe before reading the backlog, so nothing falls between the two.
    let mut live = j.subscribe();
    let mut last = match resume.or(q.after_id) {
        Some(id) => id,
        None => {
            let j2 = j.clone();
            tokio::task::spawn_blocking(move || j2.last_id_blocking())
                .await
                .map_err(|e| ApiError::unavailable(e.to_string()))?
                .map_err(|e| ApiError::unavailable(e.to_string()))?
        }
    };
    q.oldest_first = true;
    q.limit = 1000;
    let (tx, rx) = mpsc::channel::<web::Bytes>(64);
    let mut access = StreamAccess::new(state.gate.clone(), caller);
    actix_web::rt::spawn(async move {
        // Backlog (and any gap after lagging) from the database, then live events.
        let mut catch_up = true;
        let mut quiet_since = Instant::now();
        loop {
            if let Err(last) = access.check().await {
                let _ = tx.send(last).await;
                return;
            }
            if catch_up {
                let page = EventQuery {
                    after_id: Some(last),
                    ..q.clone()
                };
                let Ok(events) = run_query(j.clone(), page).await else {
                    return;
                };
                let full = events.len() >= q.limit;
                for e in &events {
                    last = e.id;
                    if tx.send(frame(e)).await.is_err() {
                        return;
                    }
                }
                if full {
                    continue;
                }
                catch_up = false;
            }
            match tokio::time::timeout(super::auth::RECHECK, live.recv()).await {
                Ok(Ok(e)) => {
                    if e.id <= last {
                        continue; // already sent from the backlog
                    }
                    last = e.id;
                    if matches(&q, &e) {
                        if tx.send(frame(&e)).await.is_err() {
                            return;
                        }
                        quiet_since = Instant::now();
                    }
                }
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => catch_up = true,
                Ok(Err(broadcast::error::RecvError::Closed)) => return,
                Err(_) if quiet_since.elapsed() >= KEEP_ALIVE => {
                    quiet_since = Instant::now();
                    if tx
                        .send(web::Bytes::from_static(b": keep-alive\n\n"))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(_) => {}
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
