//! How `ssisctl` shows results: aligned tables for people (colour only on a terminal, and not
//! with `NO_COLOR`), JSON for scripts (`--json`). It formats; it never talks to the service.

use std::io::IsTerminal;

use serde_json::Value;

pub struct Output {
    pub json: bool,
    colour: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        let colour =
            !json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Output { json, colour }
    }

    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Colours a health state or event level.
    pub fn state(&self, text: &str) -> String {
        let code = match text {
            "available" | "information" => "32",
            "starting" | "restarting" | "read-only" | "warning" => "33",
            "unavailable" | "failed" | "error" => "31",
            _ => "0",
        };
        self.paint(code, text)
    }

    pub fn print_json(&self, value: &Value) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    /// Prints rows under a header, columns padded to their widest cell.
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) {
        let visible = |s: &str| {
            let mut n = 0;
            let mut in_escape = false;
            for c in s.chars() {
                match (in_escape, c) {
                    (false, '\x1b') => in_escape = true,
                    (true, 'm') => in_escape = false,
                    (false, _) => n += 1,
                    _ => {}
                }
            }
            n
        };
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(visible(cell));
                }
            }
        }
        let line = |cells: Vec<String>| {
            let last = cells.len().saturating_sub(1);
            let mut out = String::new();
            for (i, cell) in cells.into_iter().enumerate() {
                out.push_str(&cell);
                if i < last {
                    out.push_str(&" ".repeat(widths[i] - visible(&cell) + 2));
                }
            }
            println!("{}", out.trim_end());
        };
        line(header.iter().map(|h| self.bold(h)).collect());
        for row in rows {
            line(row.clone());
        }
    }
}

/// `identity (role) via <via>` from a `/whoami` answer.
pub fn whoami_line(out: &Output, v: &Value) -> String {
    format!(
        "{} ({}) via {}",
        out.bold(&cell(&v["identity"])),
        cell(&v["role"]),
        cell(&v["via"])
    )
}

/// A JSON value as table text (`-` when absent).
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_as_one_line() {
        let out = Output {
            json: false,
            colour: false,
        };
        let v = serde_json::json!({"identity": "alice", "role": "operator", "via": "token k3x"});
        assert_eq!(whoami_line(&out, &v), "alice (operator) via token k3x");
    }
}
