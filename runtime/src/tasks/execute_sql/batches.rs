//! Splitting statement text into batches at `GO` separators, as SQL Server tools do: a line
//! holding only `GO` (any case, optionally followed by `;`) ends a batch. Everything else,
//! including several statements separated by `;`, stays in one batch and goes to the driver
//! whole. Empty batches are dropped.

/// The batches of `text`, in order.
pub fn split_batches(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let t = line.trim().trim_end_matches(';').trim_end();
        if t.eq_ignore_ascii_case("go") {
            push(&mut out, &mut current);
        } else {
            current.push_str(line);
        }
    }
    push(&mut out, &mut current);
    out
}

fn push(out: &mut Vec<String>, current: &mut String) {
    let batch = std::mem::take(current);
    let trimmed = batch.trim();
    if !trimmed.is_empty() {
        out.push(trimmed.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lines_split() {
        let text = "CREATE TABLE t(a int);\nGO\r\ninsert into t values (1); insert into t values (2)\n  go;  \nSELECT * FROM t\nGO\n";
        assert_eq!(
            split_batches(text),
            vec![
                "CREATE TABLE t(a int);",
                "insert into t values (1); insert into t values (2)",
                "SELECT * FROM t"
            ]
        );
    }

    #[test]
    fn go_inside_a_line_does_not_split() {
        assert_eq!(
            split_batches("SELECT 'GO' AS go_col; GOTO x"),
            vec!["SELECT 'GO' AS go_col; GOTO x"]
        );
        assert!(split_batches("GO\n\nGO").is_empty());
    }
}
