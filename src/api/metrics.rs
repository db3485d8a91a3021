//! `GET /metrics`: the service's metrics in the OpenMetrics text format Prometheus scrapes,
//! read by whom `[metrics]` allows (`access::may_read_metrics` decides), and the HTTP metrics
//! themselves: the [`measure`] middleware counts every request and times it by route template
//! (never the raw path, so names of packages and folders never become labels), method and
//! status code. It must not compute other parts' metrics: each part keeps its own set.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use ssisd_actors::metrics::CONTENT_TYPE;
use ssisd_actors::MetricSet;

use super::auth::{Caller, Peer};
use super::error::{ApiError, ErrorBody};
use super::openapi::answers::{Forbidden, Unauthorized};
use super::AppState;
use crate::access::{may_read_metrics, MetricsRefusal};

/// Where the metrics are served (outside `/api/v1/`, where scrapers look).
pub const PATH: &str = "/metrics";

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (`/api/v1/packages/{tail:.*}`), or `unmatched`.
    pub route: String,
    pub method: String,
    pub code: u16,
}

/// Upper bounds of the request-duration buckets, in seconds: half a millisecond to ten.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The API's requests: counted, and timed to the answer's head.
#[derive(Clone)]
pub struct HttpMetrics {
    pub requests: Family<RequestLabels, Counter>,
    pub duration: Family<RequestLabels, Histogram, fn() -> Histogram>,
}

impl MetricSet for HttpMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = HttpMetrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status code",
            m.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer HTTP requests (to the answer's head; streams count until they start), by route template, method and status code",
            Unit::Seconds,
            m.duration.clone(),
        );
        m
    }
}

impl HttpMetrics {
    fn observe(&self, labels: RequestLabels, seconds: f64) {
        self.requests.get_or_create(&labels).inc();
        self.duration.get_or_create(&labels).observe(seconds);
    }
}

/// The middleware (outermost, so refusals by the guards and authentication count too).
pub async fn measure(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.http_metrics.clone());
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_string());
    let method = req.method().as_str().to_string();
    let result = next.call(req).await;
    if let Some(m) = metrics {
        let code = match &result {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        m.observe(
            RequestLabels {
                route,
                method,
                code: code.as_u16(),
            },
            started.elapsed().as_secs_f64(),
        );
    }
    result
}

#[utoipa::path(get, path = "/metrics", tag = "service", security((), ("bearer" = [])), responses((status = 200, description = "The service's metrics in the OpenMetrics text format (Prometheus reads it): runs, durations, events, folders, HTTP requests, data-flow rows; see docs/metrics.md. Callers on this machine may read it without credentials, others need the role metrics.role (administrator by default)", content_type = "application/openmetrics-text", body = String), Unauthorized, Forbidden, (status = 404, description = "Metrics are turned off (metrics.enabled = false)", body = ErrorBody)))]
pub async fn scrape(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let policy = state.gate.metrics();
    if !policy.enabled {
        return Err(ApiError::not_found(
            "metrics are turned off on this service (metrics.enabled = false in its configuration)",
        ));
    }
    let caller = req.extensions().get::<Caller>().cloned();
    let local = req.conn_data::<Peer>().is_some_and(Peer::is_local);
    match may_read_metrics(
        local,
        policy.loopback,
        policy.role,
        caller.as_ref().map(Caller::role),
    ) {
        Ok(()) => {}
        Err(MetricsRefusal::NeedsCredentials) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "reading the metrics from another machine needs credentials: send `Authorization: Bearer <token>` of a caller with the role metrics.role (administrator by default)",
            )
            .with_header("WWW-Authenticate", "Bearer realm=\"ssisd\""));
        }
        Err(MetricsRefusal::Role(why)) => {
            if let Some(c) = &caller {
                state.gate.denied(c.identity(), &c.via.to_string(), &why);
            }
            return Err(ApiError::forbidden(why));
        }
    }
    let metrics = state.metrics.clone();
    let text = web::block(move || metrics.encode())
        .await
        .map_err(|_| ApiError::unavailable("the metrics could not be gathered; retry"))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssisd_actors::Metrics;

    #[test]
    fn requests_are_labelled_by_template_method_and_code() {
        let m = Metrics::new();
        let h = m.get::<HttpMetrics>();
        h.observe(
            RequestLabels {
                route: "/api/v1/packages/{tail:.*}".into(),
                method: "GET".into(),
                code: 200,
            },
            0.002,
        );
        let text = m.encode();
        assert!(
            text.contains(r#"ssisd_http_requests_total{route="/api/v1/packages/{tail:.*}",method="GET",code="200"} 1"#),
            "{text}"
        );
        assert!(text.contains("ssisd_http_request_duration_seconds_bucket{"));
    }
}
