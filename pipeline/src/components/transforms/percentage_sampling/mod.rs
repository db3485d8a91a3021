//! Percentage Sampling: sends about SamplingValue percent of the rows (each row drawn with that
//! probability) to the output whose Selected property is true and the others to the output
//! whose Selected is false; both outputs are synchronous in one exclusion group, so rows keep
//! their order. SamplingSeed fixes the draw (0: seeded from the clock); see
//! [`crate::components::seeded_rng`] for what a seed does and does not reproduce. It must not
//! change rows.

use rand_pcg::rand_core::Rng;

use crate::buffer::Buffer;
use crate::component::{Component, ComponentSpec, Routing, RunContext};
use crate::components::{prop, prop_bool, seeded_rng};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Percentage Sampling",
    class_ids: &["DTSTransform.PctSampling", "Microsoft.PctSampling"],
    create,
};

struct PercentageSampling {
    percent: f64,
    selected: u16,
    unselected: u16,
    rng: rand_pcg::Pcg64Mcg,
}

/// The (selected, unselected) outputs of a sampling component, by their Selected property.
pub(crate) fn sampling_outputs(spec: &ComponentSpec<'_>) -> Result<(usize, usize), Problems> {
    let outs: Vec<(usize, bool)> = spec
        .component
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.is_error_output)
        .map(|(i, o)| (i, prop_bool(&o.properties, "Selected").unwrap_or(i == 0)))
        .collect();
    let sel = outs.iter().find(|(_, s)| *s).map(|(i, _)| *i);
    let uns = outs.iter().find(|(_, s)| !*s).map(|(i, _)| *i);
    match (sel, uns) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(spec
            .error("it needs two outputs, one with Selected true (the sample) and one with Selected false (the other rows)")
            .into()),
    }
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let (selected, unselected) = sampling_outputs(spec)?;
    let text = prop(&c.properties, "SamplingValue").unwrap_or("");
    let percent: f64 = match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => p,
        _ => {
            return Err(spec
                .error(format!(
                    "its SamplingValue \"{text}\" is not a percentage from 0 to 100"
                ))
                .into())
        }
    };
    Ok(Box::new(PercentageSampling {
        percent,
        selected: selected as u16,
        unselected: unselected as u16,
        rng: seeded_rng(&c.properties),
    }))
}

impl Component for PercentageSampling {
    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        _ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let p = self.percent / 100.0;
        let route = (0..buffer.rows())
            .map(|_| {
                // 53 random bits as a fraction in [0, 1).
                let x = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if x < p {
                    self.selected
                } else {
                    self.unselected
                }
            })
            .collect();
        Ok(Routing {
            per_row: Some(route),
            errors: Vec::new(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use ssisd_engine::model::RowDisposition;
    use ssisd_engine::types::DataType;

    use crate::testing::{property, CsvFlow};

    pub(crate) fn flow(class: &str, value: &str, seed: &str, rows: usize, sync: bool) -> CsvFlow {
        let mut f = CsvFlow::new();
        let mut text = String::from("id\n");
        for i in 0..rows {
            text.push_str(&format!("{i}\n"));
        }
        let (s, so, lin) = f.source("In", &[("id", DataType::I4)], &text);
        let c = f.b.component(
            "Sample",
            class,
            vec![
                property("SamplingValue", value),
                property("SamplingSeed", seed),
            ],
        );
        let ci = f.b.input(c, "Sampling Input");
        f.b.input_column(c, ci, lin[0], false, vec![], RowDisposition::NotUsed);
        let mut cols = Vec::new();
        for (name, selected) in [
            ("Sampling Selected Output", "true"),
            ("Sampling Unselected Output", "false"),
        ] {
            let o =
                f.b.output(c, name, sync.then_some(ci), false, if sync { 1 } else { 0 });
            f.b.flow.components[c].outputs[o].properties = vec![property("Selected", selected)];
            let l = if sync {
                lin[0]
            } else {
                f.b.output_column(
                    c,
                    o,
                    "id",
                    DataType::I4,
                    vec![property("InputColumnLineageID", &lin[0].to_string())],
                    RowDisposition::NotUsed,
                )
            };
            cols.push((o, l));
        }
        f.b.path(s, so, c, ci);
        f.destination("Selected", (c, cols[0].0), &[cols[0].1]);
        f.destination("Other", (c, cols[1].0), &[cols[1].1]);
        f
    }

    fn ids(text: &str) -> Vec<u32> {
        text.lines()
            .skip(1)
            .filter_map(|l| l.parse().ok())
            .collect()
    }

    #[test]
    fn a_seed_gives_the_same_share_every_run_and_every_row_goes_somewhere() {
        let f = flow("Microsoft.PctSampling", "30", "42", 2000, true);
        let a = f.run_ok("Selected");
        let other = f.output("Other").unwrap_or_default();
        let (sel, uns) = (ids(&a), ids(&other));
        assert_eq!(sel.len() + uns.len(), 2000);
        assert!((500..700).contains(&sel.len()), "{}", sel.len());
        assert!(sel.windows(2).all(|w| w[0] < w[1]), "input order kept");
        let g = flow("Microsoft.PctSampling", "30", "42", 2000, true);
        assert_eq!(g.run_ok("Selected"), a);
        let h = flow("Microsoft.PctSampling", "30", "7", 2000, true);
        assert_ne!(h.run_ok("Selected"), a);
    }

    #[test]
    fn a_percentage_out_of_range_is_refused() {
        let f = flow("Microsoft.PctSampling", "140", "1", 3, true);
        assert!(f.validation().contains(
            "component \"Sample\": its SamplingValue \"140\" is not a percentage from 0 to 100"
        ));
    }
}
