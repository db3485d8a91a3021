//! Column references inside a data flow: `[Column]`, `Column`, `#lineage` and `#{refId}`
//! resolve through the scope's `resolve_column` to handles, evaluate with the row's values and
//! follow the same type rules as variables (DT_STR read as DT_WSTR, NULL propagation).

use std::borrow::Cow;

use super::super::{
    ColumnRef, DataType, Expression, ScopeError, Value, VarRef, VariableScope, VariableValues,
};

/// Two columns (`Name` DT_STR(10) lineage 7, `Amount` DT_NUMERIC(12,2) lineage 9) after one
/// variable `User::Rate`.
struct Row {
    values: Vec<Value>,
}

const NAME: &str = "Package\\Flow\\Src.Outputs[Out].Columns[Name]";

impl VariableScope for Row {
    fn resolve(
        &self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(VarRef, DataType), ScopeError> {
        match (namespace, name) {
            (Some("User") | None, "Rate") => Ok((VarRef(0), DataType::I4)),
            _ => Err(ScopeError::NotFound(name.to_string())),
        }
    }

    fn resolve_column(&self, column: ColumnRef<'_>) -> Result<(VarRef, DataType), ScopeError> {
        let name = DataType::Str {
            len: 10,
            code_page: 1252,
        };
        let amount = DataType::Numeric {
            precision: 12,
            scale: 2,
        };
        match column {
            ColumnRef::Name("Name") | ColumnRef::Name("Src.Name") | ColumnRef::Lineage(7) => {
                Ok((VarRef(1), name))
            }
            ColumnRef::RefId(r) if r == NAME => Ok((VarRef(1), name)),
            ColumnRef::Name("Amount") | ColumnRef::Lineage(9) => Ok((VarRef(2), amount)),
            ColumnRef::Name(n) => Err(ScopeError::NoColumn {
                name: n.to_string(),
                columns: "Name, Amount".to_string(),
            }),
            ColumnRef::RefId(r) => Err(ScopeError::NoRefId(r.to_string())),
            ColumnRef::Lineage(l) => Err(ScopeError::NoLineage(l)),
        }
    }
}

impl VariableValues for Row {
    fn value(&self, var: VarRef) -> Cow<'_, Value> {
        Cow::Borrowed(&self.values[var.0])
    }
}

fn row(name: Option<&str>, amount: &str) -> Row {
    Row {
        values: vec![
            Value::I4(3),
            match name {
                Some(n) => Value::Str(n.into()),
                None => Value::Null(DataType::Str {
                    len: 10,
                    code_page: 1252,
                }),
            },
            Value::Numeric(super::super::Decimal::parse(amount).expect("decimal")),
        ],
    }
}

#[test]
fn every_spelling_of_a_column_resolves_to_the_same_value() {
    let r = row(Some("Ann"), "12.50");
    for text in [
        "[Name]",
        "Name",
        "[Src].[Name]",
        "#7",
        "#{Package\\Flow\\Src.Outputs[Out].Columns[Name]}",
    ] {
        let e = Expression::compile(text, &r).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(e.result_type(), &DataType::WStr { len: 10 }, "{text}");
        assert_eq!(e.evaluate(&r).unwrap(), Value::Str("Ann".into()), "{text}");
    }
}

#[test]
fn columns_mix_with_variables_and_functions_as_in_control_flow() {
    let e = Expression::compile(
        "UPPER(Name) + \"-\" + (DT_WSTR,10)(#9 * @[User::Rate])",
        &row(None, "0"),
    )
    .unwrap();
    assert_eq!(
        e.evaluate(&row(Some("ann"), "12.50")).unwrap(),
        Value::WStr("ANN-37.50".into())
    );
    // NULL propagates through the operators.
    assert!(e.evaluate(&row(None, "1")).unwrap().is_null());
    let cond = Expression::compile("[Amount] > 10 && LEN([Name]) == 3", &row(None, "0")).unwrap();
    assert_eq!(
        cond.evaluate(&row(Some("abc"), "10.01")).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        cond.evaluate(&row(Some("abc"), "9.99")).unwrap(),
        Value::Bool(false)
    );
}

#[test]
fn unknown_columns_and_unclosed_references_are_errors_with_positions() {
    let r = row(None, "0");
    let e = Expression::compile("1 + [Missing]", &r).unwrap_err();
    assert_eq!(e.column, 5);
    assert!(
        e.message
            .contains("[Missing] is not in this component's input"),
        "{e}"
    );
    let e = Expression::compile("#{Package\\X", &r).unwrap_err();
    assert!(e.message.contains("never closed"), "{e}");
    let e = Expression::compile("#{Package\\Other} + 1", &r).unwrap_err();
    assert!(
        e.message
            .contains("#{Package\\Other} is not in this component's input"),
        "{e}"
    );
}
