//! Copy Column: adds to its synchronous output a copy of input columns — each output column
//! names the input column it copies with copyColumnId — sharing the input's Arrow arrays (no
//! value is copied). A copy must have the type of its source (SSIS refuses other metadata,
//! 0xC0208262/63), a longer string length excepted. It must not change input columns.

use std::sync::Arc;

use arrow_array::ArrayRef;
use ssisd_engine::types::DataType;

use crate::buffer::types::arrow_type;
use crate::buffer::{Buffer, Layout};
use crate::component::{Component, ComponentSpec, Routing, RunContext};
use crate::components::{lineage_ref, prop};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Copy Column",
    // No package seen here uses Copy Column: its ProgID, and the moniker 2014+ derives from it.
    class_ids: &["DTSTransform.CopyMap", "Microsoft.CopyMap"],
    create,
};

struct CopyColumn {
    sources: Vec<usize>,
    layout: Arc<Layout>,
}

/// Whether a copy of `from` may be declared `to`.
fn same_kind(from: &DataType, to: &DataType) -> bool {
    match (from, to) {
        (
            DataType::Str {
                len: a,
                code_page: p,
            },
            DataType::Str {
                len: b,
                code_page: q,
            },
        ) => p == q && (b >= a || *a == 0),
        (DataType::WStr { len: a }, DataType::WStr { len: b }) => b >= a || *a == 0,
        (a, b) => {
            a == b
                || (arrow_type(a) == arrow_type(b)
                    && std::mem::discriminant(a) == std::mem::discriminant(b))
        }
    }
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let input = spec.input_layouts.first().cloned().unwrap_or_default();
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let mut sources = Vec::new();
    for col in &c.outputs[output].columns {
        let text = prop(&col.properties, "copyColumnId").unwrap_or("");
        let Some(i) = lineage_ref(spec.flow, text).and_then(|l| input.index_of(l)) else {
            problems.push(spec.error(format!(
                "the output column \"{}\" does not name the input column it copies (copyColumnId \"{text}\")",
                col.name
            )));
            continue;
        };
        let from = input.columns[i].data_type;
        let to = col.data_type.unwrap_or(DataType::Null);
        if !same_kind(&from, &to) {
            problems.push(spec.error(format!(
                "the output column \"{}\" is {to}, and the column \"{}\" it copies is {from}; a copy keeps its column's type",
                col.name, input.columns[i].name
            )));
            continue;
        }
        sources.push(i);
    }
    problems.into_result()?;
    Ok(Box::new(CopyColumn {
        sources,
        layout: spec.output_layouts[output].clone(),
    }))
}

impl Component for CopyColumn {
    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let copies: Vec<ArrayRef> = self
            .sources
            .iter()
            .map(|&i| buffer.column(i).clone())
            .collect();
        if !copies.is_empty() {
            buffer.append(self.layout.clone(), copies);
        }
        Ok(Routing::all())
    }
}

#[cfg(test)]
mod tests {
    use ssisd_engine::model::RowDisposition;
    use ssisd_engine::types::DataType;

    use crate::testing::{property, CsvFlow};

    fn flow(copy_type: DataType) -> CsvFlow {
        let mut f = CsvFlow::new();
        let w = DataType::WStr { len: 10 };
        let (s, so, lin) = f.source(
            "In",
            &[("id", DataType::I4), ("name", w)],
            "id,name\n1,a\n2,\n",
        );
        let c = f.b.component("Copy", "Microsoft.CopyMap", vec![]);
        let ci = f.b.input(c, "Copy Column Input");
        f.b.input_column(c, ci, lin[1], false, vec![], RowDisposition::NotUsed);
        let o = f.b.output(c, "Copy Column Output", Some(ci), false, 0);
        let copy = f.b.output_column(
            c,
            o,
            "Copy of name",
            copy_type,
            vec![property("copyColumnId", &lin[1].to_string())],
            RowDisposition::FailComponent,
        );
        f.b.path(s, so, c, ci);
        f.destination("Out", (c, o), &[lin[0], lin[1], copy]);
        f
    }

    #[test]
    fn copies_columns_beside_their_sources() {
        let f = flow(DataType::WStr { len: 10 });
        assert_eq!(f.run_ok("Out"), "id,name,Copy of name\n1,a,a\n2,,\n");
    }

    #[test]
    fn a_copy_of_another_type_is_refused() {
        let f = flow(DataType::I4);
        let v = f.validation();
        assert!(v.contains("component \"Copy\": the output column \"Copy of name\" is DT_I4, and the column \"name\" it copies is DT_WSTR"), "{v}");
    }
}
