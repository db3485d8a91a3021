//! API errors as JSON — `{"status": 404, "error": "not_found", "message": "…"}` — with the
//! status code that fits, the mapping from store errors, and the middleware that gives the same
//! body to errors raised below the handlers (extractors, body limits). Messages come from the
//! layer that knows what went wrong; this module only chooses codes and the shape. A server
//! error (5xx) carries an incident id, in the answer and in the log line (and, for 500, the
//! event log entry) that `api::log_server_errors` writes with the full detail; the answer itself
//! never names files on the server.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use ssisd_stores::StoreError;

/// The JSON body of every error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub status: u16,
    /// The status in words, e.g. `not_found`.
    pub error: String,
    /// What went wrong and what to do.
    pub message: String,
    /// For server errors (5xx): the id under which the service logged the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Extra response headers (`WWW-Authenticate`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
    /// For 5xx: the incident id the answer and the log share.
    pub incident: Option<String>,
    /// What only the log gets (server paths, OS errors); never sent.
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            headers: Vec::new(),
            incident: status.is_server_error().then(new_incident),
            detail: None,
        }
    }
    /// Adds what only the log may see.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A short id that ties an error answer to its log line.
fn new_incident() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

fn code_name(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            response.insert_header((*name, value.as_str()));
        }
        response.json(ErrorBody {
            status: self.status.as_u16(),
            error: code_name(self.status),
            message: self.message.clone(),
            incident: self.incident.clone(),
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::InvalidName { .. }
            | StoreError::NotAPackage(_)
            | StoreError::NotAProject(_) => StatusCode::BAD_REQUEST,
            StoreError::FolderNotFound(_)
            | StoreError::PackageNotFound(_)
            | StoreError::ProjectNotFound(_) => StatusCode::NOT_FOUND,
            StoreError::AlreadyExists { .. }
            | StoreError::FolderNotEmpty { .. }
            | StoreError::TopLevelFolder(..)
            | StoreError::ProjectsNotSupported(_) => StatusCode::CONFLICT,
            StoreError::Unavailable(_) | StoreError::ReadOnly(_) => StatusCode::SERVICE_UNAVAILABLE,
            StoreError::Io { action, source, .. } => {
                // The answer says what failed, not where: the path goes to the log only.
                let message = format!(
                    "the store failed: {action}: {}; the service log has the details",
                    source.kind()
                );
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
                    .with_detail(e.to_string());
            }
        };
        let error = ApiError::new(status, e.to_string());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            error.with_header("Retry-After", "1")
        } else {
            error
        }
    }
}

/// Gives every error answer the JSON body, also those made by actix itself (a body over an
/// extractor's limit, a path it cannot match): their text becomes the message.
pub async fn json_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    let is_json = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if status.as_u16() < 400
        || is_json
        || response.request().method() == actix_web::http::Method::HEAD
    {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let kept: Vec<(
        actix_web::http::header::HeaderName,
        actix_web::http::header::HeaderValue,
    )> = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            *name == actix_web::http::header::ALLOW
                || *name == actix_web::http::header::RETRY_AFTER
                || *name == actix_web::http::header::WWW_AUTHENTICATE
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let text = actix_web::body::to_bytes(response.into_body())
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut rebuilt = ApiError::new(status, message).error_response();
    for (name, value) in kept {
        rebuilt.headers_mut().insert(name, value);
    }
    Ok(actix_web::dev::ServiceResponse::new(request, rebuilt))
}
