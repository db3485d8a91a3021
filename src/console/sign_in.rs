//! `POST /session` (sign in: the request carries `Authorization: Bearer <token>`, already checked
//! by the authentication middleware, or comes with a mapped client certificate) and
//! `DELETE /session` (sign out). The answer sets or clears the session cookie; the token is
//! never stored by the service beyond its own tokens file, and never sent back.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::session::COOKIE;
use crate::api::auth::{Caller, Peer};
use crate::api::{ApiError, AppState};

fn cookie(req: &HttpRequest, value: String) -> Cookie<'static> {
    let tls = matches!(req.conn_data::<Peer>(), Some(Peer::Tls { .. }));
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(tls)
        .finish()
}

pub async fn open(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let identity = caller.identity().to_string();
    let role = caller.role().as_str();
    let (id, _) = state
        .console_sessions
        .open(caller)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(super::secure(HttpResponse::Ok())
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(&req, id))
        .json(json!({ "identity": identity, "role": role })))
}

pub async fn close(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(c) = req.cookie(COOKIE) {
        state.console_sessions.close(c.value());
    }
    let mut gone = cookie(&req, String::new());
    gone.make_removal();
    super::secure(HttpResponse::NoContent())
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .cookie(gone)
        .finish()
}
