//! The console's static files: one hand-written script and one style sheet, vendored in this
//! directory and compiled into the binary. Their paths carry a version, so a browser may keep
//! them (immutable) and a new release changes the path. Nothing here is generated or fetched.

use actix_web::http::header;
use actix_web::HttpResponse;

/// The script's version: change it (and the file's name) whenever the script changes.
pub const SCRIPT_PATH: &str = "/assets/console-2.js";
/// The style sheet's path, versioned the same way.
pub const STYLE_PATH: &str = "/assets/console-2.css";

const SCRIPT: &str = include_str!("assets/console-2.js");
const STYLE: &str = include_str!("assets/console-2.css");

fn asset(media_type: &str, body: &'static str) -> HttpResponse {
    super::secure(HttpResponse::Ok())
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}
