//! What a run request may hand its runner: the `/Set` values and the `/Reporting` level become
//! arguments of the runner's command line, so they are checked before a run is accepted — by
//! dtexec's own option parser (the runner would refuse the same words), without NUL bytes, and
//! within sizes the kernel takes for one argument and for the whole command line (Linux refuses
//! an argument over 128 KiB and a command line over its `ARG_MAX` with "Argument list too
//! long", which a run accepted earlier could only report as a failed start). It only checks;
//! starting the run is `package`'s.

use ssisd_engine::cli::parse_dtexec_args;

/// Most `/Set` values one run may carry.
pub const MAX_SETS: usize = 256;
/// Longest single `/Set` or `/Reporting` value, in bytes.
pub const MAX_ARGUMENT_BYTES: usize = 32 * 1024;
/// Longest total of all values, in bytes.
pub const MAX_TOTAL_BYTES: usize = 256 * 1024;

/// Why a run request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunRequestError {
    #[error("a run takes at most {MAX_SETS} set values, and this request has {0}")]
    TooManySets(usize),
    #[error(
        "{what} is {len} bytes long; a run's values are at most {MAX_ARGUMENT_BYTES} bytes each"
    )]
    TooLong { what: String, len: usize },
    #[error(
        "the run's values are {0} bytes together; at most {MAX_TOTAL_BYTES} bytes are accepted"
    )]
    TooMuch(usize),
    #[error("{0} contains a NUL character")]
    Nul(String),
    #[error("{0}")]
    Refused(String),
}

/// Checks the values of a run request as the runner will receive them.
pub fn check(sets: &[String], reporting: Option<&str>) -> Result<(), RunRequestError> {
    if sets.len() > MAX_SETS {
        return Err(RunRequestError::TooManySets(sets.len()));
    }
    let named: Vec<(String, &str)> = sets
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("set[{i}]"), s.as_str()))
        .chain(reporting.map(|r| ("reporting".to_string(), r)))
        .collect();
    let mut total = 0;
    for (what, value) in &named {
        if value.len() > MAX_ARGUMENT_BYTES {
            return Err(RunRequestError::TooLong {
                what: what.clone(),
                len: value.len(),
            });
        }
        if value.contains('\0') {
            return Err(RunRequestError::Nul(what.clone()));
        }
        total += value.len();
    }
    if total > MAX_TOTAL_BYTES {
        return Err(RunRequestError::TooMuch(total));
    }
    let mut words = vec!["/F".to_string(), "package.dtsx".to_string()];
    for s in sets {
        words.push("/Set".into());
        words.push(s.clone());
    }
    if let Some(r) = reporting {
        words.push("/Reporting".into());
        words.push(r.to_string());
    }
    parse_dtexec_args(words)
        .map(|_| ())
        .map_err(|e| RunRequestError::Refused(format!("dtexec would refuse it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_dtexec_accepts() {
        check(&[r"\Package.Variables[User::N].Value;5".into()], Some("EW")).unwrap();
        check(&[], None).unwrap();
    }

    /// A 200,000-character reporting value was accepted, then the runner could not start
    /// ("Argument list too long").
    #[test]
    fn refuses_what_the_command_line_cannot_carry() {
        let long = "E".repeat(200_000);
        assert!(matches!(
            check(&[], Some(&long)),
            Err(RunRequestError::TooLong { .. })
        ));
        let many: Vec<String> = (0..=MAX_SETS)
            .map(|i| format!(r"\Package.Variables[User::V{i}].Value;1"))
            .collect();
        assert!(matches!(
            check(&many, None),
            Err(RunRequestError::TooManySets(_))
        ));
        let big: Vec<String> = (0..10)
            .map(|i| {
                format!(
                    r"\Package.Variables[User::V{i}].Value;{}",
                    "x".repeat(30_000)
                )
            })
            .collect();
        assert!(matches!(
            check(&big, None),
            Err(RunRequestError::TooMuch(_))
        ));
        assert!(matches!(
            check(&["a\0b".into()], None),
            Err(RunRequestError::Nul(_))
        ));
        assert!(matches!(
            check(&[], Some("QZ")),
            Err(RunRequestError::Refused(_))
        ));
    }
}
