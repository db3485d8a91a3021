//! `SSISD_PARAMETERS`, ssisd's way to give dtexec parameter values without putting them on the
//! command line, which every local user can read in the process list, where a process's
//! environment is readable only by its own account. The variable holds a JSON array of
//! strings, each what `/Par[ameter]` takes (`$Project::Password;s3cret`); they are applied
//! before the command line's `/Par`, so the command line wins. The service passes a run's
//! parameters this way, and Execute Package passes them to a child run out of process. This
//! file owns the variable's name and format; it must not read the environment itself.

use super::error::OptionError;
use super::option_table::OptionName;
use super::parameter_option::ParameterOption;

/// The environment variable dtexec reads parameter values from.
pub const PARAMETERS_ENV: &str = "SSISD_PARAMETERS";

/// The variable's value for these `/Par` arguments.
pub fn encode_parameters(arguments: &[String]) -> String {
    serde_json::to_string(arguments).unwrap_or_else(|_| "[]".to_string())
}

/// The parameters the variable's value `text` gives.
pub fn decode_parameters(text: &str) -> Result<Vec<ParameterOption>, OptionError> {
    let invalid = |reason: String| OptionError::InvalidArgument {
        option: format!(
            "{} (environment variable {PARAMETERS_ENV})",
            OptionName::Parameter
        ),
        value: String::new(),
        reason,
    };
    let list: Vec<String> = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "it is not a JSON array of strings ({e}); write e.g. [\"$Project::Name;value\"]"
        ))
    })?;
    list.iter()
        .map(|a| {
            ParameterOption::parse(a).map_err(|r| {
                invalid(format!(
                    "the entry \"{}\": {r}",
                    a.split(';').next().unwrap_or_default()
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ParameterScope;

    #[test]
    fn round_trip_and_refusals_without_the_value() {
        let text = encode_parameters(&[
            "$Project::Password;a;b \"c\"".to_string(),
            "$Package::N(Int32);7".to_string(),
        ]);
        let p = decode_parameters(&text).expect("decodes");
        assert_eq!(p[0].scope, ParameterScope::Project);
        assert_eq!(p[0].value, "a;b \"c\"");
        assert_eq!(p[1].name, "N");
        let e = decode_parameters("not json").unwrap_err().to_string();
        assert!(e.contains(PARAMETERS_ENV), "{e}");
        let e = decode_parameters("[\"$Nope::X;secret\"]")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
