//! The web console, served by ssisd itself under `/` on the TCP listener (never on the Unix
//! socket): server-rendered page shells (maud, every text escaped) that name the caller and what
//! its role may do, plus one vendored, versioned script (`assets/console-<version>.js`) that
//! reads and changes everything through the API under `/api/v1` with the browser's session, and
//! follows runs and the event log through the API's server-sent event streams. The console has
//! no data path of its own: every read and every change is an API request, authorized by the
//! API's own role checks. This module owns the routes, the response headers (a strict
//! Content-Security-Policy) and sign-in; it must not read stores, history or the event log.

pub mod assets;
mod pages;

pub use pages::missing as missing_page;
pub mod session;
mod sign_in;

use actix_web::http::header;
use actix_web::{web, HttpResponse, HttpResponseBuilder};

use crate::api::ApiError;

/// Whether a request path belongs to the console (everything but the API and `/metrics`).
pub fn is_console_path(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/") || path == crate::api::metrics::PATH)
}

/// The answer to a console path asked on the Unix socket.
pub fn not_on_socket() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::not_found(
        "the web console is served on the TCP listener only (service.listen); open it in a browser there. The Unix socket serves /api/v1/",
    ))
}

/// The Content-Security-Policy of every console answer: only the service's own script and
/// style, no inline code, no framing, forms and connections to the service only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the console's security headers to an answer.
pub fn secure(mut b: HttpResponseBuilder) -> HttpResponseBuilder {
    b.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("Cross-Origin-Opener-Policy", "same-origin"));
    b
}

/// Registers the console's routes (before the API's, which keep their own paths).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(assets::SCRIPT_PATH).route(web::get().to(assets::script)))
        .service(web::resource(assets::STYLE_PATH).route(web::get().to(assets::style)))
        .service(
            web::resource("/session")
                .route(web::post().to(sign_in::open))
                .route(web::delete().to(sign_in::close)),
        )
        .service(web::resource("/").route(web::get().to(pages::home)))
        .service(web::resource("/login").route(web::get().to(pages::login)))
        .service(web::resource("/packages").route(web::get().to(pages::packages)))
        .service(web::resource("/packages/{tail:.*}").route(web::get().to(pages::packages)))
        .service(web::resource("/running").route(web::get().to(pages::running)))
        .service(web::resource("/running/{id}").route(web::get().to(pages::run)))
        .service(web::resource("/history").route(web::get().to(pages::history)))
        .service(web::resource("/history/{id}").route(web::get().to(pages::execution)))
        .service(web::resource("/schedules").route(web::get().to(pages::schedules)))
        .service(web::resource("/events").route(web::get().to(pages::events)))
        .service(web::resource("/service").route(web::get().to(pages::service)));
}
