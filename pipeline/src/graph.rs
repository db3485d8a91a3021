//! From paths to execution trees. It checks the shape of a data flow — every path joins an
//! existing output to an existing input, no output or input has two paths, no cycle, every
//! component gets its rows from some source, every input is attached or dangling — then works
//! out the buffer layout of every input and output and cuts the graph into execution trees:
//! a tree starts at an asynchronous output (a source's, or an asynchronous transform's) and
//! follows synchronous components down to the next asynchronous input or destination. One
//! tree's components run on one thread. It must not create components or run anything.

use std::sync::Arc;

use ssisd_engine::model::{Component, DataFlow};

use crate::buffer::{Layout, LayoutColumn};
use crate::codes;
use crate::error::{PipelineError, Problems};
use crate::metadata::{FlowMetadata, PortRef};

/// How the executor drives a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// No inputs: `produce`.
    Source,
    /// Inputs, and only synchronous outputs (or none): `process` inside its input's tree.
    Synchronous,
    /// Inputs and asynchronous outputs: `receive` / `end_of_input` on its own thread.
    Asynchronous,
}

/// An execution tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// The asynchronous output the tree starts at.
    pub head: PortRef,
    /// The synchronous components in the tree, upstream first.
    pub components: Vec<usize>,
}

/// The checked shape of a data flow.
#[derive(Debug, Clone)]
pub struct Plan {
    pub roles: Vec<Role>,
    pub input_layouts: Vec<Vec<Arc<Layout>>>,
    pub output_layouts: Vec<Vec<Arc<Layout>>>,
    /// Path index leaving each output (`None`: unattached).
    pub output_paths: Vec<Vec<Option<usize>>>,
    /// Path index arriving at each input.
    pub input_paths: Vec<Vec<Option<usize>>>,
    /// Components in an order where every component comes after those feeding it.
    pub order: Vec<usize>,
    pub trees: Vec<Tree>,
}

fn role(c: &Component) -> Role {
    if c.inputs.is_empty() {
        Role::Source
    } else if c.outputs.iter().any(|o| !o.is_synchronous()) {
        Role::Asynchronous
    } else {
        Role::Synchronous
    }
}

fn err(task: &str, component: &str, message: String) -> PipelineError {
    let code = codes::INVALID_REFERENCE;
    if component.is_empty() {
        PipelineError::pipeline(code, format!("{task}: {message}"))
    } else {
        PipelineError::new(
            code,
            component,
            format!("{task}: component \"{component}\": {message}"),
        )
    }
}

fn own_columns(c: &Component, output: usize) -> Vec<LayoutColumn> {
    c.outputs[output]
        .columns
        .iter()
        .map(|col| LayoutColumn {
            lineage: col.lineage_id,
            name: col.name.clone(),
            data_type: col.data_type.unwrap_or(ssisd_engine::types::DataType::Null),
            ref_id: col.id.ref_id.clone(),
            component: c.name.clone(),
            identification: crate::metadata::identification(c, &c.outputs[output], col),
        })
        .collect()
}

/// Checks the shape of `flow` and plans its execution.
pub fn plan(flow: &DataFlow, meta: &FlowMetadata<'_>, task: &str) -> Result<Plan, Problems> {
    let mut problems = Problems::default();
    let n = flow.components.len();
    let roles: Vec<Role> = flow.components.iter().map(role).collect();
    let mut output_paths: Vec<Vec<Option<usize>>> = flow
        .components
        .iter()
        .map(|c| vec![None; c.outputs.len()])
        .collect();
    let mut input_paths: Vec<Vec<Option<usize>>> = flow
        .components
        .iter()
        .map(|c| vec![None; c.inputs.len()])
        .collect();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (pi, p) in flow.paths.iter().enumerate() {
        let start = meta.output(p.start.number);
        let end = meta.input(p.end.number);
        let (Some(s), Some(e)) = (start, end) else {
            problems.push(err(
                task,
                "",
                format!(
                    "the path \"{}\" joins {} to {}, which {} not exist; reconnect it in the package",
                    p.name,
                    if start.is_none() { format!("the unknown output \"{}\"", p.start.text) } else { "an output".into() },
                    if end.is_none() { format!("the unknown input \"{}\"", p.end.text) } else { "an input".into() },
                    if start.is_none() && end.is_none() { "do" } else { "does" }
                ),
            ));
            continue;
        };
        if let Some(prev) = output_paths[s.component][s.index].replace(pi) {
            problems.push(err(task, &flow.components[s.component].name, format!(
                "the output \"{}\" starts two paths (\"{}\" and \"{}\"); use a Multicast to send rows to several places",
                flow.components[s.component].outputs[s.index].name, flow.paths[prev].name, p.name)));
        }
        if let Some(prev) = input_paths[e.component][e.index].replace(pi) {
            problems.push(err(task, &flow.components[e.component].name, format!(
                "the input \"{}\" ends two paths (\"{}\" and \"{}\"); use a Union All to combine rows",
                flow.components[e.component].inputs[e.index].name, flow.paths[prev].name, p.name)));
        }
        edges[s.component].push(e.component);
    }
    // Inputs without a path.
    for (ci, c) in flow.components.iter().enumerate() {
        let attached = input_paths[ci].iter().filter(|p| p.is_some()).count();
        for (ii, i) in c.inputs.iter().enumerate() {
            if input_paths[ci][ii].is_none() && !i.dangling && attached == 0 {
                problems.push(err(task, &c.name, format!(
                    "its input \"{}\" is not attached to any path, so no rows can reach it; connect an upstream output to it or delete the component",
                    i.name)));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Topological order (Kahn); what is left is on a cycle or downstream of one.
    let mut indegree = vec![0usize; n];
    for targets in &edges {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(c) = ready.pop() {
        order.push(c);
        for &t in &edges[c] {
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(t);
            }
        }
    }
    if order.len() < n {
        let stuck: Vec<String> = (0..n)
            .filter(|i| !order.contains(i))
            .map(|i| format!("\"{}\"", flow.components[i].name))
            .collect();
        problems.push(PipelineError::pipeline(
            codes::CYCLE,
            format!(
                "{task}: the paths form a cycle through {}; a data flow must run from sources to destinations without loops",
                stuck.join(", ")
            ),
        ));
        return Err(problems);
    }
    // Every component must be fed by a source.
    let mut fed = vec![false; n];
    for &c in &order {
        if roles[c] == Role::Source {
            fed[c] = true;
        }
        if fed[c] {
            for &t in &edges[c] {
                fed[t] = true;
            }
        }
    }
    for (c, ok) in fed.iter().enumerate() {
        if !ok {
            problems.push(err(task, &flow.components[c].name, "no source feeds it: every path leading to it starts at a component without a source upstream; add a source or delete it".to_string()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Layouts, in topological order.
    let empty = Arc::new(Layout::default());
    let mut input_layouts: Vec<Vec<Arc<Layout>>> = flow
        .components
        .iter()
        .map(|c| vec![empty.clone(); c.inputs.len()])
        .collect();
    let mut output_layouts: Vec<Vec<Arc<Layout>>> = flow
        .components
        .iter()
        .map(|c| vec![empty.clone(); c.outputs.len()])
        .collect();
    for &ci in &order {
        let c = &flow.components[ci];
        for (ii, _) in c.inputs.iter().enumerate() {
            if let Some(pi) = input_paths[ci][ii] {
                if let Some(s) = meta.output(flow.paths[pi].start.number) {
                    input_layouts[ci][ii] = output_layouts[s.component][s.index].clone();
                }
            }
        }
        let added: Vec<LayoutColumn> = c
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_synchronous() && !o.is_error_output)
            .flat_map(|(oi, _)| own_columns(c, oi))
            .collect();
        for (oi, o) in c.outputs.iter().enumerate() {
            let layout = if o.is_synchronous() {
                let Some(sync_in) = c
                    .inputs
                    .iter()
                    .position(|i| i.id.number == o.synchronous_input.number)
                else {
                    problems.push(err(task, &c.name, format!(
                        "its output \"{}\" is synchronous with the input \"{}\", which the component does not have",
                        o.name, o.synchronous_input.text)));
                    continue;
                };
                let base = &input_layouts[ci][sync_in];
                if o.is_error_output {
                    base.extended(own_columns(c, oi))
                } else {
                    base.extended(added.clone())
                }
            } else {
                Layout::new(own_columns(c, oi))
            };
            output_layouts[ci][oi] = Arc::new(layout);
        }
        // Every input column must be in the buffer the input receives.
        for (ii, i) in c.inputs.iter().enumerate() {
            let layout = &input_layouts[ci][ii];
            for col in &i.columns {
                if layout.index_of(col.lineage.number).is_none() {
                    let name = if col.name.is_empty() {
                        meta.column(col.lineage.number)
                            .map(|x| x.name.clone())
                            .unwrap_or_default()
                    } else {
                        col.name.clone()
                    };
                    problems.push(PipelineError::new(
                        codes::COLUMN_NOT_FOUND,
                        c.name.clone(),
                        format!(
                            "{task}: component \"{}\": the input column \"{}\" of \"{}\" refers to the lineage {} that no upstream output provides; remove it or map it to an existing column",
                            c.name,
                            name,
                            i.name,
                            col.lineage.text
                        ),
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Execution trees.
    let mut trees = Vec::new();
    for &ci in &order {
        if roles[ci] == Role::Synchronous {
            continue;
        }
        for (oi, o) in flow.components[ci].outputs.iter().enumerate() {
            if o.is_synchronous() {
                continue;
            }
            let mut comps = Vec::new();
            let mut stack = vec![(ci, oi)];
            while let Some((c, out)) = stack.pop() {
                let Some(pi) = output_paths[c][out] else {
                    continue;
                };
                let Some(e) = meta.input(flow.paths[pi].end.number) else {
                    continue;
                };
                if roles[e.component] != Role::Synchronous {
                    continue;
                }
                comps.push(e.component);
                for (soi, so) in flow.components[e.component].outputs.iter().enumerate() {
                    if so.is_synchronous() {
                        stack.push((e.component, soi));
                    }
                }
            }
            trees.push(Tree {
                head: PortRef {
                    component: ci,
                    index: oi,
                },
                components: comps,
            });
        }
    }
    Ok(Plan {
        roles,
        input_layouts,
        output_layouts,
        output_paths,
        input_paths,
        order,
        trees,
    })
}
