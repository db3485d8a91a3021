//! The event stream's records (schema 1, documented in `docs/event-stream.md`): one JSON
//! object per line, the common fields (`schema`, `seq`, `time`) and one [`Body`] per record
//! kind, tagged by `event`. The runtime writes them and reads a child dtexec's; the service
//! follows them. Readers ignore what they do not know: a line of another schema or an unknown
//! kind reads as `None`. This file owns the shapes only, not who writes what.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::ExecResult;

/// The version of the record shapes.
pub const SCHEMA: u32 = 1;

/// One line of the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema: u32,
    /// 1, 2, 3… in the order the run produced its records (a gap means dropped records).
    pub seq: u64,
    /// Local time with offset, nanoseconds.
    pub time: DateTime<FixedOffset>,
    #[serde(flatten)]
    pub body: Body,
}

impl Record {
    /// Reads one line; `None` for anything that is not a schema-1 record of a known kind.
    pub fn parse(line: &[u8]) -> Option<Record> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return None;
        }
        let r: Record = serde_json::from_slice(line).ok()?;
        (r.schema == SCHEMA).then_some(r)
    }

    /// The record as one line (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a record says, by `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Body {
    /// The package starts executing.
    RunStart {
        package: String,
        package_id: String,
        execution_id: String,
        file: Option<String>,
        #[serde(default)]
        pid: u32,
        max_concurrent: usize,
    },
    /// The run's last record.
    RunEnd {
        #[serde(with = "result_name")]
        result: ExecResult,
        duration_ms: f64,
        errors: u64,
        warnings: u64,
        /// Records dropped because the queue was full.
        #[serde(default)]
        dropped: u64,
    },
    ExecutableStart {
        path: String,
        name: String,
        id: String,
        /// `Package`, `Sequence`, `ForLoop`, `ForEachLoop`, `EventHandler` or `Task`.
        kind: String,
    },
    ExecutableEnd {
        path: String,
        name: String,
        id: String,
        #[serde(with = "result_name")]
        result: ExecResult,
        duration_ms: f64,
    },
    Error(MessageRecord),
    Warning(MessageRecord),
    Information(MessageRecord),
    Progress {
        source: String,
        path: String,
        description: String,
        percent: i32,
    },
    VariableChanged {
        variable: String,
        value: String,
        path: String,
    },
    /// Rows that went down one data-flow path (running totals; `final` on the last).
    PipelineRows {
        source: String,
        path: String,
        path_id: i64,
        path_name: String,
        component: String,
        input: String,
        rows: u64,
        buffers: u64,
        #[serde(rename = "final")]
        done: bool,
    },
    PipelineComponentTime {
        source: String,
        path: String,
        component: String,
        phase: String,
        duration_ms: f64,
    },
}

/// An `error`, `warning` or `information` record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// HRESULT-shaped: `"0xC0029151"`.
    #[serde(with = "hex_code")]
    pub code: u32,
    pub source: String,
    pub path: String,
    pub description: String,
    /// Written only when a handler stopped the event: absent means true.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub propagate: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A duration in milliseconds as records carry it, checked: `None` when negative, not finite
/// or beyond what a duration holds.
pub fn duration_of(ms: f64) -> Option<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(ms / 1000.0).ok()
}

/// A duration as records carry it: milliseconds with microsecond precision.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

/// The stream's name of a DTSExecResult.
pub fn result_text(r: ExecResult) -> &'static str {
    match r {
        ExecResult::Success => "success",
        ExecResult::Failure => "failure",
        ExecResult::Completion => "completion",
        ExecResult::Canceled => "canceled",
    }
}

mod result_name {
    use super::*;

    pub fn serialize<S: Serializer>(r: &ExecResult, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(result_text(*r))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ExecResult, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "success" => ExecResult::Success,
            "failure" => ExecResult::Failure,
            "completion" => ExecResult::Completion,
            "canceled" => ExecResult::Canceled,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown result \"{other}\""
                )))
            }
        })
    }
}

mod hex_code {
    use super::*;

    pub fn serialize<S: Serializer>(code: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{code:08X}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = String::deserialize(d)?;
        u32::from_str_radix(text.trim_start_matches("0x"), 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_typed_records_and_back() {
        let line = br#"{"schema":1,"seq":3,"time":"2026-01-01T10:00:00.5+02:00","event":"error","code":"0xC0029151","source":"T","path":"\\Package\\T","description":"bad"}"#;
        let r = Record::parse(line).unwrap();
        let Body::Error(m) = &r.body else {
            panic!("{r:?}")
        };
        assert_eq!(m.code, 0xC002_9151);
        assert!(m.propagate);
        let again = r.to_line();
        assert!(!again.contains("propagate"), "{again}");
        assert!(again.contains("\"event\":\"error\""), "{again}");
        assert_eq!(Record::parse(again.as_bytes()), Some(r));
        assert!(Record::parse(b"{\"schema\":2,\"seq\":1,\"time\":\"2026-01-01T00:00:00Z\",\"event\":\"progress\",\"source\":\"\",\"path\":\"\",\"description\":\"\",\"percent\":1}").is_none());
        assert!(Record::parse(
            b"{\"schema\":1,\"seq\":1,\"time\":\"2026-01-01T00:00:00Z\",\"event\":\"future\"}"
        )
        .is_none());
        assert!(Record::parse(b"not json").is_none());
        let end = br#"{"schema":1,"seq":9,"time":"2026-01-01T00:00:00Z","event":"run_end","result":"canceled","duration_ms":1.5,"errors":0,"warnings":2}"#;
        let r = Record::parse(end).unwrap();
        assert!(matches!(
            r.body,
            Body::RunEnd {
                result: ExecResult::Canceled,
                dropped: 0,
                ..
            }
        ));
        assert!(duration_of(-1.0).is_none() && duration_of(f64::NAN).is_none());
        assert_eq!(
            duration_of(1.5),
            Some(std::time::Duration::from_micros(1500))
        );
    }
}
