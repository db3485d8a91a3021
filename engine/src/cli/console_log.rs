//! The `/Cons[oleLog]` argument: `[[displayoptions];[list_options;src_name_or_guid]…]`, parsed
//! into a [`ConsoleLogSpec`], and the rule that combines several `/ConsoleLog` options into the
//! decision whether one log entry is shown ([`ConsoleLogFilter`]). It must not format or write
//! log entries: showing them is not implemented yet, and `/ConsoleLog` is refused after parsing.

use super::quoting::{split_top_level, unquote};

/// The columns of a log entry that `/ConsoleLog` can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConsoleColumns {
    /// `N`: name.
    pub name: bool,
    /// `C`: computer.
    pub computer: bool,
    /// `O`: operator.
    pub operator: bool,
    /// `S`: source name.
    pub source_name: bool,
    /// `G`: source GUID.
    pub source_guid: bool,
    /// `X`: execution GUID.
    pub execution_guid: bool,
    /// `M`: message.
    pub message: bool,
    /// `T`: start and end time.
    pub times: bool,
}

impl ConsoleColumns {
    /// Every column (what `/ConsoleLog` without display options shows).
    pub const ALL: ConsoleColumns = ConsoleColumns {
        name: true,
        computer: true,
        operator: true,
        source_name: true,
        source_guid: true,
        execution_guid: true,
        message: true,
        times: true,
    };

    /// Parses display letters such as `NM`; `None` if a character is not a column letter.
    pub fn parse(letters: &str) -> Option<ConsoleColumns> {
        let mut c = ConsoleColumns::default();
        for ch in letters.chars() {
            let flag = match ch.to_ascii_uppercase() {
                'N' => &mut c.name,
                'C' => &mut c.computer,
                'O' => &mut c.operator,
                'S' => &mut c.source_name,
                'G' => &mut c.source_guid,
                'X' => &mut c.execution_guid,
                'M' => &mut c.message,
                'T' => &mut c.times,
                _ => return None,
            };
            *flag = true;
        }
        Some(c)
    }
}

/// Why a `/ConsoleLog` argument cannot be read; the text is the reason shown after the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleLogError {
    /// The first part is neither display letters nor a list option; holds it.
    #[error("\"{0}\" is not a set of display options (N, C, O, S, G, X, M, T)")]
    BadColumns(String),
    /// A name before any `I` or `E`; holds it.
    #[error("\"{0}\" must follow a list option, I (include) or E (exclude)")]
    NameOutsideList(String),
}

/// One `/ConsoleLog` option.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleLogSpec {
    /// The display options; `None` when not given (every column).
    pub columns: Option<ConsoleColumns>,
    /// Names after `I`: only these entries are shown.
    pub include: Vec<String>,
    /// Names after `E`: these entries are not shown.
    pub exclude: Vec<String>,
}

impl ConsoleLogSpec {
    /// Parses the argument of one `/ConsoleLog`; `None` (no argument) means every entry with
    /// every column. The error is the reason.
    pub fn parse(arg: Option<&str>) -> Result<ConsoleLogSpec, ConsoleLogError> {
        let mut spec = ConsoleLogSpec::default();
        let Some(arg) = arg else {
            return Ok(spec);
        };
        let parts = split_top_level(arg);
        let mut rest = &parts[..];
        if let Some((first, tail)) = parts.split_first() {
            let is_list_letter = first.eq_ignore_ascii_case("I") || first.eq_ignore_ascii_case("E");
            if !is_list_letter {
                if !first.is_empty() {
                    spec.columns = Some(
                        ConsoleColumns::parse(first)
                            .ok_or_else(|| ConsoleLogError::BadColumns(first.to_string()))?,
                    );
                }
                rest = tail;
            }
        }
        let mut list: Option<&mut Vec<String>> = None;
        for part in rest {
            if part.eq_ignore_ascii_case("I") {
                list = Some(&mut spec.include);
            } else if part.eq_ignore_ascii_case("E") {
                list = Some(&mut spec.exclude);
            } else if part.is_empty() {
                continue;
            } else if let Some(list) = list.as_deref_mut() {
                list.push(unquote(part));
            } else {
                return Err(ConsoleLogError::NameOutsideList(part.to_string()));
            }
        }
        Ok(spec)
    }
}

/// The combined effect of every `/ConsoleLog` option of a command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleLogFilter {
    pub specs: Vec<ConsoleLogSpec>,
}

impl ConsoleLogFilter {
    /// Whether any `/ConsoleLog` was given; without one no log entry goes to the console.
    pub fn is_enabled(&self) -> bool {
        !self.specs.is_empty()
    }

    /// Whether an entry is shown. `names` are the entry's event name, source name and source
    /// GUID; an entry matches a list when any of them is on it (case-insensitive). Exclusions
    /// win over inclusions; when any option has an inclusion list, only their union is shown.
    pub fn shows(&self, names: &[&str]) -> bool {
        if !self.is_enabled() {
            return false;
        }
        let on = |list: &Vec<String>| {
            list.iter()
                .any(|item| names.iter().any(|n| n.eq_ignore_ascii_case(item)))
        };
        if self.specs.iter().any(|s| on(&s.exclude)) {
            return false;
        }
        let has_inclusions = self.specs.iter().any(|s| !s.include.is_empty());
        !has_inclusions || self.specs.iter().any(|s| on(&s.include))
    }

    /// The columns to show for an entry that is shown: the union of the display options of
    /// the options whose inclusion list names it, or of all options without an inclusion list;
    /// an option without display options contributes every column.
    pub fn columns_for(&self, names: &[&str]) -> ConsoleColumns {
        let mut out = ConsoleColumns::default();
        for spec in &self.specs {
            let applies = spec.include.is_empty()
                || spec
                    .include
                    .iter()
                    .any(|item| names.iter().any(|n| n.eq_ignore_ascii_case(item)));
            if applies {
                let c = spec.columns.unwrap_or(ConsoleColumns::ALL);
                out = ConsoleColumns {
                    name: out.name || c.name,
                    computer: out.computer || c.computer,
                    operator: out.operator || c.operator,
                    source_name: out.source_name || c.source_name,
                    source_guid: out.source_guid || c.source_guid,
                    execution_guid: out.execution_guid || c.execution_guid,
                    message: out.message || c.message,
                    times: out.times || c.times,
                };
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arg: &str) -> ConsoleLogSpec {
        ConsoleLogSpec::parse(Some(arg)).unwrap_or_else(|e| panic!("{arg}: {e}"))
    }

    #[test]
    fn no_argument_means_everything() {
        let s = ConsoleLogSpec::parse(None).unwrap();
        assert_eq!(s, ConsoleLogSpec::default());
        let f = ConsoleLogFilter { specs: vec![s] };
        assert!(f.shows(&["OnError"]));
        assert_eq!(f.columns_for(&["OnError"]), ConsoleColumns::ALL);
    }

    #[test]
    fn display_options() {
        let s = spec("NM");
        let c = s.columns.unwrap();
        assert!(c.name && c.message && !c.computer && !c.times);
        assert!(ConsoleLogSpec::parse(Some("NQ")).is_err());
        assert_eq!(spec("ncosgxmt").columns, Some(ConsoleColumns::ALL));
    }

    #[test]
    fn lists() {
        let s = spec("NM;I;A;B;E;C");
        assert_eq!(s.include, vec!["A", "B"]);
        assert_eq!(s.exclude, vec!["C"]);
        let s = spec("E;OnProgress");
        assert_eq!(s.columns, None);
        assert_eq!(s.exclude, vec!["OnProgress"]);
        let s = spec(";I;X");
        assert_eq!(s.columns, None);
        assert_eq!(s.include, vec!["X"]);
        assert!(ConsoleLogSpec::parse(Some("NM;A")).is_err());
    }

    #[test]
    fn without_console_log_nothing_is_shown() {
        assert!(!ConsoleLogFilter::default().shows(&["A"]));
    }

    #[test]
    fn included_and_excluded_is_excluded() {
        let f = ConsoleLogFilter {
            specs: vec![spec("E;A"), spec("I;A")],
        };
        assert!(!f.shows(&["A"]));
        assert!(!f.shows(&["B"]));
    }

    #[test]
    fn inclusion_union_with_all_columns() {
        // `/CONSOLELOG NM;I;A /CONSOLELOG` shows only A, with every column.
        let f = ConsoleLogFilter {
            specs: vec![spec("NM;I;A"), ConsoleLogSpec::parse(None).unwrap()],
        };
        assert!(f.shows(&["a"]));
        assert!(!f.shows(&["B"]));
        assert_eq!(f.columns_for(&["A"]), ConsoleColumns::ALL);
    }

    #[test]
    fn exclusions_apply_to_all_without_inclusions() {
        let f = ConsoleLogFilter {
            specs: vec![spec("E;OnProgress")],
        };
        assert!(f.shows(&["OnError", "Task"]));
        assert!(!f.shows(&["OnProgress", "Task"]));
    }
}
