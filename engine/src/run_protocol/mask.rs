//! How a run's `/Set` options are shown and recorded (registrations, history, listings):
//! sensitive values masked. A value is sensitive when the option says so (`$Sensitive::`),
//! when the property or variable it sets is named like a secret (password, pwd, secret, token,
//! credential), or — inside a connection string — the `Password=`/`PWD=` parts. The path is
//! kept as written. It must not apply or check the option (the engine's `/Set` does).

/// The text that replaces a hidden value.
pub const MASK: &str = "********";

const SECRET_WORDS: &[&str] = &["password", "pwd", "secret", "token", "credential"];

/// `/Set` argument `arg` with its sensitive values masked.
pub fn mask_set(arg: &str) -> String {
    let Some(split) = value_start(arg) else {
        return arg.to_string();
    };
    let (path, value) = (&arg[..split], &arg[split + 1..]);
    let lower = path.to_ascii_lowercase();
    if lower.trim_start().starts_with("$sensitive::")
        || SECRET_WORDS.iter().any(|w| lower.contains(w))
    {
        return format!("{path};{MASK}");
    }
    format!("{path};{}", mask_connection_string(value))
}

/// The index of the `;` that ends the property path: the first outside brackets and quotes.
fn value_start(arg: &str) -> Option<usize> {
    let (mut depth, mut quoted) = (0i32, false);
    for (i, c) in arg.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            ';' if !quoted && depth <= 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `Password=` and `PWD=` parts of a connection string masked; other text unchanged.
pub fn mask_connection_string(value: &str) -> String {
    if !value.contains('=') {
        return value.to_string();
    }
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, _))
                if matches!(key.trim().to_ascii_lowercase().as_str(), "password" | "pwd") =>
            {
                format!("{key}={MASK}")
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_set(r"\Package.Variables[User::Count].Properties[Value];5"),
            r"\Package.Variables[User::Count].Properties[Value];5"
        );
        assert_eq!(
            mask_set(r"\Package.Variables[User::DbPassword].Properties[Value];s3cret"),
            r"\Package.Variables[User::DbPassword].Properties[Value];********"
        );
        assert_eq!(
            mask_set(r"$Sensitive::\Package.Variables[User::X].Properties[Value];x"),
            r"$Sensitive::\Package.Variables[User::X].Properties[Value];********"
        );
        assert_eq!(
            mask_set(
                r"\Package.Connections[Db].Properties[ConnectionString];Data Source=.;User ID=sa;Password=p;x=1"
            ),
            r"\Package.Connections[Db].Properties[ConnectionString];Data Source=.;User ID=sa;Password=********;x=1"
        );
        assert_eq!(
            mask_set(r"\Package.Variables[User::A;B].Properties[Value];v"),
            r"\Package.Variables[User::A;B].Properties[Value];v"
        );
        assert_eq!(mask_set("no value"), "no value");
    }
}
