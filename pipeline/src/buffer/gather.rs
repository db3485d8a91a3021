//! Building output buffers from rows picked out of several input buffers (of one layout), in
//! any order, with Arrow's `interleave` kernel: what Sort, Merge, Merge Join and Row Sampling
//! do when they emit. It must not decide which rows to pick.

use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef};
use arrow_schema::ArrowError;

use super::types::arrow_type;
use super::{Buffer, Layout};

/// Rows picked from source buffers, waiting to become an output buffer.
#[derive(Debug, Default)]
pub struct Gather {
    sources: Vec<Buffer>,
    picks: Vec<(usize, usize)>,
    null_source: Option<usize>,
}

impl Gather {
    pub fn new() -> Gather {
        Gather::default()
    }

    /// Adds a buffer rows can be picked from; returns its number.
    pub fn add_source(&mut self, buffer: Buffer) -> usize {
        self.sources.push(buffer);
        self.sources.len() - 1
    }

    /// Picks row `row` of source `source` as the next output row.
    pub fn pick(&mut self, source: usize, row: usize) {
        self.picks.push((source, row));
    }

    /// Picks a row of NULLs (every column NULL) as the next output row; `layout` is the
    /// sources' layout.
    pub fn pick_null(&mut self, layout: &Arc<Layout>) {
        let s = match self.null_source {
            Some(s) => s,
            None => {
                let columns = layout
                    .columns
                    .iter()
                    .map(|c| new_null_array(&arrow_type(&c.data_type), 1))
                    .collect();
                let s = self.add_source(Buffer::new(layout.clone(), columns, 1));
                self.null_source = Some(s);
                s
            }
        };
        self.picks.push((s, 0));
    }

    /// Rows picked so far.
    pub fn len(&self) -> usize {
        self.picks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.picks.is_empty()
    }

    /// The picked rows as arrays: for each entry of `columns`, that column of the sources.
    /// Clears the picks (the sources stay).
    pub fn take_columns(&mut self, columns: &[usize]) -> Result<Vec<ArrayRef>, ArrowError> {
        let out = columns
            .iter()
            .map(|&c| {
                let arrays: Vec<&dyn Array> =
                    self.sources.iter().map(|b| b.column(c).as_ref()).collect();
                arrow_select::interleave::interleave(&arrays, &self.picks)
            })
            .collect::<Result<Vec<_>, _>>();
        self.picks.clear();
        out
    }

    /// The picked rows as a buffer of `layout`, whose columns are `columns` of the sources.
    pub fn build(&mut self, layout: Arc<Layout>, columns: &[usize]) -> Result<Buffer, ArrowError> {
        let n = self.picks.len();
        let arrays = self.take_columns(columns)?;
        Ok(Buffer::new(layout, arrays, n))
    }

    /// Forgets every source (only when nothing is picked).
    pub fn clear_sources(&mut self) {
        debug_assert!(self.picks.is_empty());
        self.sources.clear();
        self.null_source = None;
    }

    /// Sources held.
    pub fn sources(&self) -> usize {
        self.sources.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{buffer_of, rows_of};
    use ssisd_engine::types::{DataType, Value};

    #[test]
    fn picks_rows_across_buffers_in_any_order() {
        let cols = [(1, "n", DataType::I4), (2, "s", DataType::WStr { len: 3 })];
        let a = buffer_of(&cols, &[vec![Value::I4(1), Value::WStr("a".into())]]);
        let b = buffer_of(
            &cols,
            &[
                vec![Value::I4(2), Value::WStr("b".into())],
                vec![Value::I4(3), Value::WStr("c".into())],
            ],
        );
        let layout = a.layout().clone();
        let mut g = Gather::new();
        let sa = g.add_source(a);
        let sb = g.add_source(b);
        g.pick(sb, 1);
        g.pick(sa, 0);
        g.pick_null(&layout);
        let swapped = Arc::new(Layout::new(vec![
            layout.columns[1].clone(),
            layout.columns[0].clone(),
        ]));
        let out = g.build(swapped, &[1, 0]).expect("built");
        assert_eq!(
            rows_of(&out),
            vec![
                vec![Value::WStr("c".into()), Value::I4(3)],
                vec![Value::WStr("a".into()), Value::I4(1)],
                vec![
                    Value::Null(DataType::WStr { len: 3 }),
                    Value::Null(DataType::I4)
                ],
            ]
        );
        assert!(g.is_empty());
    }
}
