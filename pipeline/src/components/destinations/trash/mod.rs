//! A discard destination in the manner of the community "Trash Destination": it accepts any
//! input, counts the rows and throws them away — for testing upstream components and for
//! measuring a data flow without the cost of writing. Its class ids are the community
//! component's managed type name and ssisd's own `SSISD.TrashDestination`. It must not keep
//! rows.

use crate::buffer::Buffer;
use crate::codes;
use crate::component::{Component, ComponentSpec, PrepareContext, Routing, RunContext};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Trash Destination",
    class_ids: &[
        "Konesans.Dts.Pipeline.TrashDestination.Trash",
        "SSISD.TrashDestination",
    ],
    create,
};

struct Trash {
    name: String,
    rows: u64,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    Ok(Box::new(Trash {
        name: spec.component.name.clone(),
        rows: 0,
    }))
}

impl Component for Trash {
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
        ctx.information(
            codes::ROWS_WRITTEN,
            format!("\"{}\" wrote {} rows.", self.name, self.rows),
        );
        Ok(())
    }
}
