//! The `/Rep[orting]` argument: `level[;event_guid_or_name…]`. It owns the level letters
//! (N, E, W, I, C, D, P, V), the rule that N and V stand alone, the default (E, W, P) and the
//! list of events that are exempted from reporting. It must not write anything to the console.

use std::fmt;
use std::ops::BitOr;

use super::quoting::{split_top_level, unquote};

/// A set of `/Reporting` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportingLevel(u8);

impl ReportingLevel {
    /// `N`: nothing.
    pub const NONE: ReportingLevel = ReportingLevel(0);
    /// `E`: errors.
    pub const ERRORS: ReportingLevel = ReportingLevel(1);
    /// `W`: warnings.
    pub const WARNINGS: ReportingLevel = ReportingLevel(1 << 1);
    /// `I`: informational messages.
    pub const INFORMATION: ReportingLevel = ReportingLevel(1 << 2);
    /// `C`: custom events.
    pub const CUSTOM: ReportingLevel = ReportingLevel(1 << 3);
    /// `D`: Data Flow task events.
    pub const DATA_FLOW: ReportingLevel = ReportingLevel(1 << 4);
    /// `P`: progress.
    pub const PROGRESS: ReportingLevel = ReportingLevel(1 << 5);
    /// `V`: verbose — every level, and the events no other letter selects.
    pub const VERBOSE: ReportingLevel = ReportingLevel(0x7f);

    /// dtexec's default when `/Reporting` is absent: errors, warnings and progress.
    pub const DEFAULT: ReportingLevel = ReportingLevel(1 | (1 << 1) | (1 << 5));

    /// Whether every level of `other` is in `self`.
    pub fn contains(self, other: ReportingLevel) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no level is set (`N`).
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// Whether this is `V`.
    pub fn is_verbose(self) -> bool {
        self == Self::VERBOSE
    }

    /// The level of one letter, ignoring case.
    pub fn from_letter(c: char) -> Option<ReportingLevel> {
        Some(match c.to_ascii_uppercase() {
            'N' => Self::NONE,
            'E' => Self::ERRORS,
            'W' => Self::WARNINGS,
            'I' => Self::INFORMATION,
            'C' => Self::CUSTOM,
            'D' => Self::DATA_FLOW,
            'P' => Self::PROGRESS,
            'V' => Self::VERBOSE,
            _ => return None,
        })
    }
}

impl Default for ReportingLevel {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl BitOr for ReportingLevel {
    type Output = ReportingLevel;
    fn bitor(self, rhs: ReportingLevel) -> ReportingLevel {
        ReportingLevel(self.0 | rhs.0)
    }
}

impl fmt::Display for ReportingLevel {
    /// The letters, e.g. `EWP`, `N`, `V`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("N");
        }
        if self.is_verbose() {
            return f.write_str("V");
        }
        for (letter, level) in [
            ('E', Self::ERRORS),
            ('W', Self::WARNINGS),
            ('I', Self::INFORMATION),
            ('C', Self::CUSTOM),
            ('D', Self::DATA_FLOW),
            ('P', Self::PROGRESS),
        ] {
            if self.contains(level) {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

/// Why a `/Reporting` argument cannot be read; the text is the reason shown after the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportingError {
    #[error("no reporting level given (use N, E, W, I, C, D, P or V)")]
    NoLevel,
    /// `N` or `V` combined with other levels; holds the letter.
    #[error("level {0} must stand alone")]
    NotAlone(char),
}

/// A parsed `/Reporting` option.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reporting {
    pub level: ReportingLevel,
    /// Events (names or GUIDs) that are not reported even when their level is.
    pub exceptions: Vec<String>,
}

impl Reporting {
    /// Parses the argument of `/Reporting`. Levels may be written together (`EWP`) or
    /// separated by `;` (`E;W;P`); the first part that is not made of level letters starts the
    /// list of exempted events. The error is the reason.
    pub fn parse(arg: &str) -> Result<Reporting, ReportingError> {
        let mut letters = String::new();
        let mut exceptions = Vec::new();
        for part in split_top_level(arg) {
            let is_levels = !part.is_empty()
                && exceptions.is_empty()
                && part
                    .chars()
                    .all(|c| ReportingLevel::from_letter(c).is_some());
            if is_levels {
                letters.push_str(part);
            } else if !part.is_empty() || !exceptions.is_empty() {
                exceptions.push(unquote(part));
            }
        }
        if letters.is_empty() {
            return Err(ReportingError::NoLevel);
        }
        let upper = letters.to_ascii_uppercase();
        let distinct: std::collections::BTreeSet<char> = upper.chars().collect();
        for alone in ['N', 'V'] {
            if distinct.contains(&alone) && distinct.len() > 1 {
                return Err(ReportingError::NotAlone(alone));
            }
        }
        let level = upper
            .chars()
            .filter_map(ReportingLevel::from_letter)
            .fold(ReportingLevel::NONE, |a, b| a | b);
        exceptions.retain(|e| !e.is_empty());
        Ok(Reporting { level, exceptions })
    }

    /// Whether an event with this name or GUID is exempted (case-insensitive).
    pub fn is_exception(&self, name_or_guid: &str) -> bool {
        let wanted = name_or_guid.trim_matches(|c| c == '{' || c == '}');
        self.exceptions.iter().any(|e| {
            e.trim_matches(|c| c == '{' || c == '}')
                .eq_ignore_ascii_case(wanted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    type L = ReportingLevel;

    #[test]
    fn default_is_errors_warnings_progress() {
        assert_eq!(L::default(), L::ERRORS | L::WARNINGS | L::PROGRESS);
        assert_eq!(L::default().to_string(), "EWP");
        assert_eq!(Reporting::default().level, L::DEFAULT);
    }

    #[test]
    fn each_letter() {
        for (s, l) in [
            ("N", L::NONE),
            ("E", L::ERRORS),
            ("W", L::WARNINGS),
            ("I", L::INFORMATION),
            ("C", L::CUSTOM),
            ("D", L::DATA_FLOW),
            ("P", L::PROGRESS),
            ("V", L::VERBOSE),
        ] {
            assert_eq!(Reporting::parse(s).unwrap().level, l, "{s}");
            assert_eq!(Reporting::parse(&s.to_lowercase()).unwrap().level, l, "{s}");
            assert_eq!(l.to_string(), s);
        }
    }

    #[test]
    fn combined_levels() {
        let both = L::ERRORS | L::WARNINGS | L::INFORMATION;
        assert_eq!(Reporting::parse("EWI").unwrap().level, both);
        assert_eq!(Reporting::parse("E;W;I").unwrap().level, both);
        assert_eq!(Reporting::parse("ew;i").unwrap().level, both);
        assert!(L::VERBOSE.contains(both | L::CUSTOM | L::DATA_FLOW | L::PROGRESS));
        assert!(!both.contains(L::PROGRESS));
    }

    #[test]
    fn n_and_v_stand_alone() {
        for bad in ["NE", "N;E", "VE", "E;V", "NV"] {
            assert!(Reporting::parse(bad).is_err(), "{bad}");
        }
        assert!(Reporting::parse("NN").is_ok());
    }

    #[test]
    fn exceptions_follow_the_levels() {
        let r = Reporting::parse("EWP;OnPipelineRowsSent;{5B3F1C0A-1111-4222-8333-444455556666}")
            .unwrap();
        assert_eq!(r.level, L::DEFAULT);
        assert_eq!(r.exceptions.len(), 2);
        assert!(r.is_exception("onpipelinerowssent"));
        assert!(r.is_exception("5b3f1c0a-1111-4222-8333-444455556666"));
        assert!(!r.is_exception("OnError"));
    }

    #[test]
    fn bad_levels() {
        assert!(Reporting::parse("").is_err());
        assert!(Reporting::parse("X").is_err());
        assert!(Reporting::parse("X;E").is_err());
    }
}
