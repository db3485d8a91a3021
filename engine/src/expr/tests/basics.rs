//! Smoke tests: literals, operators, variables.

use super::*;

#[test]
fn smoke() {
    assert_eq!(show("1 + 2 * 3"), "7");
    assert_eq!(
        show("@[User::Count] * 2 + 1 > 10 ? \"big\" : \"small\""),
        "big"
    );
    assert_eq!(
        show("@[User::Dir] + \"\\\\\" + @[User::File] + \".csv\""),
        "C:\\data\\sales.csv"
    );
    assert_eq!(ty("1"), "DT_I4");
    assert!(is_null("NULL(DT_I4) + 1"));
    assert!(compile_err("\"a\" + 1").message.contains("incompatible"));
    let _ = eval_err("@[User::Count] / 0");
}
