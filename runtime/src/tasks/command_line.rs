//! Splitting an Execute Process task's `Arguments` into argv the way a Windows program's C
//! runtime does (SSIS hands the string to CreateProcess, and the child splits it): spaces and
//! tabs separate arguments, double quotes group, `\` escapes a quote only when it precedes
//! one (2n backslashes + `"` give n backslashes and a quote toggle; 2n+1 give n and a literal
//! quote), and `""` inside quotes is a literal quote. No shell is involved. It owns the rule.

/// The arguments of `line`.
pub fn split_arguments(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut in_arg = false;
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' if !quoted => {
                if in_arg {
                    args.push(std::mem::take(&mut cur));
                    in_arg = false;
                }
                i += 1;
            }
            '\\' => {
                let start = i;
                while i < chars.len() && chars[i] == '\\' {
                    i += 1;
                }
                let n = i - start;
                in_arg = true;
                if i < chars.len() && chars[i] == '"' {
                    cur.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        cur.push('"');
                        i += 1;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', n));
                }
            }
            '"' => {
                in_arg = true;
                if quoted && chars.get(i + 1) == Some(&'"') {
                    cur.push('"');
                    i += 2;
                } else {
                    quoted = !quoted;
                    i += 1;
                }
            }
            _ => {
                in_arg = true;
                cur.push(c);
                i += 1;
            }
        }
    }
    if in_arg {
        args.push(cur);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_rules() {
        assert_eq!(split_arguments("  a  b\tc "), vec!["a", "b", "c"]);
        assert_eq!(split_arguments(r#""a b" c"#), vec!["a b", "c"]);
        assert_eq!(
            split_arguments(r#"-c "echo 'x y' > f""#),
            vec!["-c", "echo 'x y' > f"]
        );
        assert_eq!(
            split_arguments(r#"a\\b \"q\" "c\\" d"#),
            vec![r"a\\b", "\"q\"", r"c\", "d"]
        );
        assert_eq!(split_arguments(r#""say ""hi""""#), vec![r#"say "hi""#]);
        assert_eq!(split_arguments(r#""""#), vec![""]);
        assert!(split_arguments("   ").is_empty());
    }
}
