//! The console's pages: each a server-rendered shell (maud escapes every text and attribute)
//! with the navigation, the caller and what its role may do (`data-can`, decided by the same
//! `access::role::authorize` as the API), the session's CSRF token, the page's fixed forms,
//! and empty regions the script fills from the API. A request without a caller is sent to the
//! sign-in page. This file must not read data: pages carry no stored names or values.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use maud::{html, Markup, DOCTYPE};

use super::assets::{SCRIPT_PATH, STYLE_PATH};
use super::session::Csrf;
use crate::access::{authorize, Facts, Operation};
use crate::api::auth::Caller;

/// The sections, in the navigation's order: (path, title).
const SECTIONS: &[(&str, &str)] = &[
    ("/packages", "Stored Packages"),
    ("/running", "Running Packages"),
    ("/history", "History"),
    ("/schedules", "Schedules"),
    ("/events", "Events"),
    ("/service", "Service"),
];

/// What the caller's role may do, as the script reads it: `op` when allowed on anything,
/// `op:own` when only on the caller's own packages and runs.
fn abilities(caller: &Caller) -> String {
    let ops = [
        ("export", Operation::Export),
        ("run", Operation::Run),
        ("import", Operation::Import),
        ("change", Operation::Change),
        ("folders", Operation::ChangeFolder),
        ("view-run", Operation::ViewRun),
        ("stop", Operation::StopRun),
        ("events", Operation::ReadEvents),
        ("reload", Operation::Reload),
    ];
    let own = Facts {
        owner: Some(caller.identity().to_string()),
        ..Facts::default()
    };
    let mut out = Vec::new();
    for (name, op) in ops {
        if authorize(&caller.principal, op, &Facts::default()).is_ok() {
            out.push(name.to_string());
        } else if authorize(&caller.principal, op, &own).is_ok() {
            out.push(format!("{name}:own"));
        }
    }
    out.join(" ")
}

fn page_answer(markup: Markup) -> HttpResponse {
    super::secure(HttpResponse::Ok())
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn head(title: &str, csrf: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            meta name="csrf-token" content=(csrf);
            title { (title) " · ssisd" }
            link rel="icon" href="data:,";
            link rel="stylesheet" href=(STYLE_PATH);
            script src=(SCRIPT_PATH) defer {}
        }
    }
}

/// A whole page for a signed-in caller; `page` names the script's part for it.
fn shell(
    req: &HttpRequest,
    caller: &Caller,
    page: &str,
    title: &str,
    body: Markup,
) -> HttpResponse {
    let csrf = req
        .extensions()
        .get::<Csrf>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let path = req.path();
    let may_read_events =
        authorize(&caller.principal, Operation::ReadEvents, &Facts::default()).is_ok();
    page_answer(html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, &csrf))
            body data-page=(page) data-identity=(caller.identity()) data-role=(caller.role().as_str()) data-can=(abilities(caller)) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/packages" { "ssisd" }
                    nav aria-label="Sections" {
                        @for (href, name) in SECTIONS.iter().filter(|(h, _)| *h != "/events" || may_read_events) {
                            @let here = path == *href || path.starts_with(&format!("{href}/"));
                            a href=(href) aria-current=[here.then_some("page")] { (name) }
                        }
                    }
                    div.who {
                        span title=(caller.via.to_string()) { (caller.identity()) " · " (caller.role().as_str()) }
                        @if req.extensions().get::<Csrf>().is_some() {
                            button #sign-out type="button" { "Sign out" }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 #title { (title) }
                    div #notice role="status" aria-live="polite" {}
                    (body)
                }
            }
        }
    })
}

/// Where a request without a caller goes: the sign-in page, coming back afterwards.
fn sign_in_first(req: &HttpRequest) -> HttpResponse {
    let back = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = format!(
        "/login?next={}",
        percent_encoding::utf8_percent_encode(back, percent_encoding::NON_ALPHANUMERIC)
    );
    super::secure(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, target))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

macro_rules! guarded {
    ($req:expr, $caller:expr) => {
        match $caller {
            Some(c) => c,
            None => return sign_in_first(&$req),
        }
    };
}

pub async fn home(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let _ = guarded!(req, caller);
    super::secure(HttpResponse::SeeOther())
        .insert_header((header::LOCATION, "/packages"))
        .finish()
}

pub async fn login(caller: Option<Caller>) -> HttpResponse {
    let signed_in = caller.is_some();
    page_answer(html! {
        (DOCTYPE)
        html lang="en" {
            (head("Sign in", ""))
            body data-page="login" {
                main #main.login {
                    h1 { "ssisd" }
                    @if signed_in {
                        p { "You are signed in. " a href="/packages" { "Open the console" } }
                    }
                    form #login-form {
                        label for="token" { "Bearer token" }
                        input #token type="password" autocomplete="off" required
                            placeholder="ssisd_…" aria-describedby="token-help";
                        p #token-help.hint {
                            "Made on the service's machine with " code { "ssisd token create" }
                            ". It is sent once; the browser keeps only a session cookie that ends when you sign out or stay away for 8 hours."
                        }
                        button type="submit" { "Sign in" }
                        div #notice role="alert" {}
                    }
                }
            }
        }
    })
}

pub async fn packages(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "packages",
        "Stored Packages",
        html! {
            div.split {
                nav #tree aria-label="Folders" {}
                section #folder aria-label="Folder contents" {
                    p #crumbs {}
                    div #folder-actions.actions {}
                    div #listing {}
                }
            }
            dialog #package-dialog aria-labelledby="package-title" {
                h2 #package-title {}
                dl #package-details.facts {}
                div #package-actions.actions {}
                form #run-form hidden {
                    label for="run-set" { "Property overrides (" code { "/Set" } ", one per line: " code { "\\Package.Variables[User::Name].Value;value" } ")" }
                    textarea #run-set rows="3" spellcheck="false" {}
                    div.actions { button type="submit" { "Run" } }
                }
                form method="dialog" { button.secondary value="close" { "Close" } }
            }
        },
    )
}

pub async fn running(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "running",
        "Running Packages",
        html! {
            p.hint { "Runs going now, refreshed every two seconds. A finished run moves to the " a href="/history" { "History" } "." }
            div #runs {}
        },
    )
}

pub async fn run(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "run",
        "Running package",
        html! {
            div #run-head {}
            div #run-actions.actions {}
            section aria-labelledby="executing-title" {
                h2 #executing-title { "Executing now" }
                ul #executing {}
            }
            section aria-labelledby="paths-title" {
                h2 #paths-title { "Rows per data-flow path" }
                div #paths {}
            }
            section aria-labelledby="messages-title" {
                h2 #messages-title { "Messages" }
                div #messages.log {}
            }
        },
    )
}

pub async fn history(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "history",
        "History",
        html! {
            form #history-filter.filters {
                label { "Package " input name="package" type="search" placeholder="Sales/Load"; }
                label { "Status "
                    select name="status" {
                        option value="" { "any" }
                        @for s in ["succeeded", "failed", "canceled", "running", "ended unexpectedly"] {
                            option value=(s) { (s) }
                        }
                    }
                }
                label { "Since " input name="since" type="datetime-local"; }
                button type="submit" { "Filter" }
            }
            div #executions {}
        },
    )
}

pub async fn execution(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "execution",
        "Execution",
        html! {
            div #overview {}
            section aria-labelledby="timeline-title" {
                h2 #timeline-title { "Timeline" }
                div #timeline {}
            }
            section aria-labelledby="messages-title" {
                h2 #messages-title { "Messages" }
                form #message-filter.filters {
                    label { "Type "
                        select name="type" {
                            option value="" { "all" }
                            option value="120" { "errors" }
                            option value="110" { "warnings" }
                            option value="70" { "information" }
                            option value="30,40" { "pre/post-execute" }
                            option value="60" { "progress" }
                        }
                    }
                    label { "Search " input name="q" type="search"; }
                }
                div #messages.log {}
            }
        },
    )
}

pub async fn schedules(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "schedules",
        "Schedules",
        html! {
            div #schedules {}
            details #schedule-new {
                summary #schedule-summary { "New schedule" }
                form #schedule-form.stack {
                    label { "Name " input name="name" required maxlength="128" autocomplete="off"; }
                    label { "Package " input name="package" required placeholder="File System/ETL/Load" autocomplete="off"; }
                    fieldset {
                        legend { "When" }
                        label { "Timing "
                            select name="kind" {
                                option value="cron" { "cron expression" }
                                option value="calendar" { "systemd calendar event" }
                            }
                        }
                        label { "Expression " input name="when" required placeholder="0 3 * * *" spellcheck="false" autocomplete="off" aria-describedby="schedule-check"; }
                        label { "Time zone " input name="time_zone" placeholder="the service's own" autocomplete="off"; }
                    }
                    p #schedule-check.hint aria-live="polite" {}
                    label {
                        span { "Property overrides (" code { "/Set" } ", one per line: " code { "\\Package.Variables[User::Name].Value;value" } ")" }
                        textarea name="set" rows="2" spellcheck="false" {}
                    }
                    div.row {
                        label { "Runs at once " input name="max_active" type="number" min="1" value="1"; }
                        label { "Retries " input name="retry_attempts" type="number" min="0" max="100" value="0"; }
                        label { "Seconds between retries " input name="retry_interval" type="number" min="1" value="60"; }
                        label { "History logging "
                            select name="logging_level" {
                                option value="" { "the service's default" }
                                @for l in ["none", "basic", "performance", "verbose"] { option value=(l) { (l) } }
                            }
                        }
                    }
                    label.check { input name="enabled" type="checkbox" checked; " Enabled" }
                    div.actions {
                        button #schedule-submit type="submit" { "Create" }
                        button #schedule-cancel.secondary type="button" hidden { "Cancel" }
                    }
                }
            }
        },
    )
}

pub async fn events(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "events",
        "Events",
        html! {
            form #event-filter.filters {
                label { "Level "
                    select name="level" {
                        option value="" { "all" }
                        option value="error" { "errors" }
                        option value="warning,error" { "warnings and errors" }
                        option value="information" { "information" }
                    }
                }
                label { "Source " input name="source" type="search" placeholder="SQLISService"; }
                label { "Since " input name="since" type="datetime-local"; }
                label.check { input name="follow" type="checkbox" checked; " Follow live" }
                button type="submit" { "Apply" }
            }
            div #events {}
        },
    )
}

pub async fn service(req: HttpRequest, caller: Option<Caller>) -> HttpResponse {
    let caller = guarded!(req, caller);
    shell(
        &req,
        &caller,
        "service",
        "Service",
        html! {
            div #status {}
            section aria-labelledby="metrics-title" {
                h2 #metrics-title { "At a glance" }
                p.hint { "From the service's own metrics (" a href="/metrics" { "/metrics" } ", since it started), read again every 5 seconds." }
                div #metrics aria-live="off" {}
            }
            section aria-labelledby="folders-title" {
                h2 #folders-title { "Top-level folders" }
                div #folders {}
            }
        },
    )
}

/// A console path that is no page: 404 with a way back.
pub fn missing(req: &HttpRequest) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head("Not found", ""))
            body data-page="missing" {
                main #main.login {
                    h1 { "No such page" }
                    p { "There is no console page at " code { (req.path()) } "." }
                    p { a href="/packages" { "Stored Packages" } " · " a href="/running" { "Running Packages" } " · " a href="/history" { "History" } }
                }
            }
        }
    };
    super::secure(HttpResponse::NotFound())
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}
