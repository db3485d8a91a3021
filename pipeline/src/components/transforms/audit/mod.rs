//! Audit: adds to every row information about the run, each output column choosing an item
//! with LineageItemSelected — 0 execution instance GUID, 1 package ID, 2 package name, 3
//! version ID, 4 execution start time, 5 machine name, 6 user name, 7 task name, 8 task ID —
//! read once before rows flow from the system variables the runtime gives the Data Flow task
//! (System::ExecutionInstanceGUID, PackageID, PackageName, VersionGUID, StartTime, MachineName,
//! UserName, TaskName, TaskID). A value that does not fit its column (too long a name) fails
//! the component naming the column. It must not change input columns.

use std::sync::Arc;

use ssisd_engine::types::{DataType, Value};

use crate::buffer::values::ColumnBuilder;
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::prop_int;
use crate::components::transforms::derived_column::fit;
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Audit",
    class_ids: &[
        "{32711D35-7D9D-44E5-B57E-A17D33D5C38C}",
        "DTSTransform.Lineage",
        "Microsoft.Lineage",
    ],
    create,
};

/// The system variable behind each LineageItemSelected value, and the item's name.
const ITEMS: [(&str, &str); 9] = [
    ("System::ExecutionInstanceGUID", "ExecutionInstanceGUID"),
    ("System::PackageID", "PackageID"),
    ("System::PackageName", "PackageName"),
    ("System::VersionGUID", "VersionID"),
    ("System::StartTime", "ExecutionStartTime"),
    ("System::MachineName", "MachineName"),
    ("System::UserName", "UserName"),
    ("System::TaskName", "TaskName"),
    ("System::TaskID", "TaskId"),
];

struct Item {
    item: usize,
    ty: DataType,
    identification: String,
    value: Value,
}

struct Audit {
    items: Vec<Item>,
    layout: Arc<Layout>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let o = &c.outputs[output];
    let mut items = Vec::new();
    for col in &o.columns {
        let item = prop_int(&col.properties, "LineageItemSelected").unwrap_or(-1);
        if !(0..ITEMS.len() as i64).contains(&item) {
            problems.push(spec.error(format!(
                "the output column \"{}\" selects the audit item {item}; use 0 to 8 (execution instance GUID, package ID, package name, version ID, execution start time, machine name, user name, task name, task ID)",
                col.name
            )));
            continue;
        }
        let ty = col.data_type.unwrap_or(DataType::Null);
        let wants_date = item == 4;
        let is_date = matches!(
            ty,
            DataType::Date | DataType::DbTimestamp | DataType::DbTimestamp2 { .. }
        );
        let fits = if wants_date {
            is_date || ty.is_string()
        } else {
            ty.is_string()
        };
        if !fits {
            problems.push(spec.error(format!(
                "the output column \"{}\" is {ty}, which cannot hold the audit item {} ({})",
                col.name, item, ITEMS[item as usize].1
            )));
            continue;
        }
        items.push(Item {
            item: item as usize,
            ty,
            identification: crate::metadata::identification(c, o, col),
            value: Value::Null(ty),
        });
    }
    problems.into_result()?;
    Ok(Box::new(Audit {
        items,
        layout: spec.output_layouts[output].clone(),
    }))
}

impl Component for Audit {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        for it in &mut self.items {
            let (var, what) = ITEMS[it.item];
            let v = ctx.host.variable(var).map_err(|e| {
                ctx.error(
                    codes::VARIABLE_INVALID,
                    format!(
                        "the audit item {what} for \"{}\" comes from {var}: {e}",
                        it.identification
                    ),
                )
            })?;
            it.value = fit(v, &it.ty).map_err(|(_, detail, _)| {
                ctx.error(
                    codes::INDUCED_FAILURE_ON_TRUNCATION,
                    format!(
                        "the audit item {what} does not fit the column \"{}\" ({}): {detail}; make the column longer",
                        it.identification, it.ty
                    ),
                )
            })?;
        }
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let arrays = self
            .items
            .iter()
            .map(|it| {
                let mut b = ColumnBuilder::new(&it.ty, n);
                for _ in 0..n {
                    b.append_value(&it.value);
                }
                b.finish()
            })
            .collect::<Vec<_>>();
        if !arrays.is_empty() {
            buffer.append(self.layout.clone(), arrays);
        }
        Ok(Routing::all())
    }
}

#[cfg(test)]
mod tests {
    use ssisd_engine::model::RowDisposition;
    use ssisd_engine::types::{DataType, Value};

    use crate::testing::{property, CsvFlow};
    use crate::Outcome;

    fn flow(items: &[(i64, DataType)]) -> CsvFlow {
        let mut f = CsvFlow::new();
        let (s, so, lin) = f.source("In", &[("id", DataType::I4)], "id\n1\n2\n");
        let a = f.b.component("Audit", "Microsoft.Lineage", vec![]);
        let ai = f.b.input(a, "Audit Input");
        let o = f.b.output(a, "Audit Output", Some(ai), false, 0);
        let mut cols = vec![lin[0]];
        for (k, (item, ty)) in items.iter().enumerate() {
            cols.push(f.b.output_column(
                a,
                o,
                &format!("item{k}"),
                *ty,
                vec![property("LineageItemSelected", &item.to_string())],
                RowDisposition::FailComponent,
            ));
        }
        f.b.path(s, so, a, ai);
        f.destination("Out", (a, o), &cols);
        let start = chrono::NaiveDate::from_ymd_opt(2024, 5, 6)
            .and_then(|d| d.and_hms_opt(7, 8, 9))
            .expect("date");
        for (k, v) in [
            (
                "System::ExecutionInstanceGUID",
                Value::WStr("{11111111-2222-3333-4444-555555555555}".into()),
            ),
            (
                "System::PackageID",
                Value::WStr("{AAAAAAAA-0000-0000-0000-000000000001}".into()),
            ),
            ("System::PackageName", Value::WStr("Nightly".into())),
            (
                "System::VersionGUID",
                Value::WStr("{BBBBBBBB-0000-0000-0000-000000000002}".into()),
            ),
            ("System::StartTime", Value::Date(start)),
            ("System::MachineName", Value::WStr("build01".into())),
            ("System::UserName", Value::WStr("etl".into())),
            ("System::TaskName", Value::WStr("Load".into())),
            (
                "System::TaskID",
                Value::WStr("{CCCCCCCC-0000-0000-0000-000000000003}".into()),
            ),
        ] {
            f.host.variables.borrow_mut().insert(k.into(), v);
        }
        f
    }

    #[test]
    fn every_item_comes_from_its_system_variable() {
        let w = DataType::WStr { len: 64 };
        let f = flow(&[
            (0, w),
            (1, w),
            (2, w),
            (3, w),
            (4, DataType::Date),
            (5, w),
            (6, w),
            (7, w),
            (8, w),
        ]);
        assert_eq!(
            f.run_ok("Out"),
            "id,item0,item1,item2,item3,item4,item5,item6,item7,item8\n\
             1,{11111111-2222-3333-4444-555555555555},{AAAAAAAA-0000-0000-0000-000000000001},Nightly,{BBBBBBBB-0000-0000-0000-000000000002},5/6/2024 7:08:09 AM,build01,etl,Load,{CCCCCCCC-0000-0000-0000-000000000003}\n\
             2,{11111111-2222-3333-4444-555555555555},{AAAAAAAA-0000-0000-0000-000000000001},Nightly,{BBBBBBBB-0000-0000-0000-000000000002},5/6/2024 7:08:09 AM,build01,etl,Load,{CCCCCCCC-0000-0000-0000-000000000003}\n"
        );
    }

    #[test]
    fn bad_items_and_columns_too_short_are_named() {
        let f = flow(&[(9, DataType::WStr { len: 10 })]);
        assert!(f
            .validation()
            .contains("the output column \"item0\" selects the audit item 9"));
        let f = flow(&[(4, DataType::I4)]);
        assert!(f.validation().contains("the output column \"item0\" is DT_I4, which cannot hold the audit item 4 (ExecutionStartTime)"));
        let f = flow(&[(2, DataType::WStr { len: 3 })]);
        match f.run() {
            Outcome::Failed(p) => assert!(p.to_string().contains("the audit item PackageName does not fit the column \"Audit.Outputs[Audit Output].Columns[item0]\""), "{p}"),
            other => panic!("{other:?}"),
        }
    }
}
