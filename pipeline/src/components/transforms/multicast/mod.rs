//! Multicast: every row goes to every output (synchronous outputs in exclusion group 0 share
//! the buffer, so nothing is copied). It must not change rows.

use crate::buffer::Buffer;
use crate::component::{Component, ComponentSpec, Routing, RunContext};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Multicast",
    class_ids: &[
        "{1ACA4459-ACE0-496F-814A-8611F9C27E23}",
        "{EC139FBC-694E-490B-8EA7-35690FB0F445}",
        "DTSTransform.Multicast",
        "Microsoft.Multicast",
    ],
    create,
};

struct Multicast;

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    if let Some(o) = spec
        .component
        .outputs
        .iter()
        .find(|o| !o.columns.is_empty())
    {
        return Err(spec.error(format!("its output \"{}\" declares columns; Multicast outputs carry their input's columns only", o.name)).into());
    }
    Ok(Box::new(Multicast))
}

impl Component for Multicast {
    fn process(
        &mut self,
        _input: usize,
        _buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        Ok(Routing::all())
    }
}
