//! Row Count: counts the rows that pass and, when the data flow has finished, writes the count
//! to the integer variable named by VariableName. Rows pass unchanged. It must not write the
//! variable before the data flow succeeds.

use ssisd_engine::types::Value;

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::components::prop;
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Row Count",
    class_ids: &[
        "{DE50D3C7-41AF-4804-9247-CF1DEB147971}",
        "{150E6007-7C6A-4CC3-8FF3-FC73783A972E}",
        "{E2697D8C-70DA-42B2-8208-A19CE3A9FE41}",
        "DTSTransform.RowCount",
        "Microsoft.RowCount",
    ],
    create,
};

struct RowCount {
    variable: String,
    rows: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let variable = prop(&spec.component.properties, "VariableName")
        .unwrap_or("")
        .trim()
        .to_string();
    if variable.is_empty() {
        return Err(spec
            .error("its VariableName is empty; name the integer variable that receives the count")
            .into());
    }
    Ok(Box::new(RowCount { variable, rows: 0 }))
}

impl Component for RowCount {
    fn pre_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        let v = ctx.host.variable(&self.variable).map_err(|e| {
            ctx.error(
                codes::VARIABLE_INVALID,
                format!("its variable \"{}\": {e}", self.variable),
            )
        })?;
        if !v.data_type().is_integer() {
            return Err(ctx.error(
                codes::VARIABLE_INVALID,
                format!(
                    "its variable \"{}\" is {}; Row Count needs an integer variable",
                    self.variable,
                    v.data_type().static_name()
                ),
            ));
        }
        Ok(())
    }

    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        self.rows += buffer.rows() as u64;
        Ok(Routing::all())
    }

    fn post_execute(&mut self, ctx: &mut PrepareContext<'_>) -> Result<(), PipelineError> {
        ctx.host
            .set_variable(&self.variable, Value::I8(self.rows as i64))
            .map_err(|e| {
                ctx.error(
                    codes::VARIABLE_INVALID,
                    format!("could not write the count to \"{}\": {e}", self.variable),
                )
            })
    }
}
