//! The accumulators of Aggregate: one per aggregated output column, holding a value per group
//! and updated a buffer at a time from typed Arrow arrays (no per-value conversion): counts,
//! distinct sets of row-format keys, exact sums (`i128` for integers and for decimals at their
//! column scale, `f64` for floats), averages (sum and count) and minimum/maximum (compared in
//! row format, the value kept). It must not know outputs or memory budgets.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::DataType as Arrow;
use ssisd_engine::types::{DataType, Decimal, Value};

use crate::buffer::Buffer;
use crate::collation::{CollationError, KeyColumn, KeyEncoder};

/// An accumulator that cannot be made or cannot take a buffer.
#[derive(Debug, thiserror::Error)]
pub enum AccumulateError {
    /// Group-by columns are keys, not aggregates.
    #[error("a group-by column has no accumulator")]
    GroupBy,
    /// An exact sum left the `i128` range.
    #[error("a sum overflowed 128 bits")]
    SumOverflow,
    /// The column's values cannot be keyed (count distinct, minimum, maximum).
    #[error(transparent)]
    Keys(#[from] CollationError),
}

/// What an output column computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GroupBy,
    Count,
    CountAll,
    CountDistinct,
    Sum,
    Average,
    Minimum,
    Maximum,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::GroupBy => "group by",
            Kind::Count => "count",
            Kind::CountAll => "count all",
            Kind::CountDistinct => "count distinct",
            Kind::Sum => "sum",
            Kind::Average => "average",
            Kind::Minimum => "minimum",
            Kind::Maximum => "maximum",
        }
    }
}

/// Whether minimum and maximum apply to `ty` (numbers, dates and times).
pub fn orderable(ty: &DataType) -> bool {
    ty.is_numeric()
        || matches!(
            ty,
            DataType::Date
                | DataType::DbDate
                | DataType::DbTime
                | DataType::DbTime2 { .. }
                | DataType::DbTimestamp
                | DataType::DbTimestamp2 { .. }
                | DataType::FileTime
        )
}

/// How numbers of a column add up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Signed,
    Unsigned,
    Float,
    /// Decimal at this scale; `cy` for DT_CY.
    Decimal {
        scale: u8,
        cy: bool,
    },
}

fn num_of(ty: &DataType) -> Num {
    match ty {
        DataType::UI1 | DataType::UI2 | DataType::UI4 | DataType::UI8 => Num::Unsigned,
        DataType::R4 | DataType::R8 => Num::Float,
        DataType::Cy => Num::Decimal { scale: 4, cy: true },
        DataType::Decimal { scale } | DataType::Numeric { scale, .. } => Num::Decimal {
            scale: *scale,
            cy: false,
        },
        _ => Num::Signed,
    }
}

fn int_at(a: &dyn Array, row: usize) -> i128 {
    match a.data_type() {
        Arrow::Int8 => a.as_primitive::<Int8Type>().value(row) as i128,
        Arrow::Int16 => a.as_primitive::<Int16Type>().value(row) as i128,
        Arrow::Int32 => a.as_primitive::<Int32Type>().value(row) as i128,
        Arrow::Int64 => a.as_primitive::<Int64Type>().value(row) as i128,
        Arrow::UInt8 => a.as_primitive::<UInt8Type>().value(row) as i128,
        Arrow::UInt16 => a.as_primitive::<UInt16Type>().value(row) as i128,
        Arrow::UInt32 => a.as_primitive::<UInt32Type>().value(row) as i128,
        Arrow::UInt64 => a.as_primitive::<UInt64Type>().value(row) as i128,
        Arrow::Decimal128(_, _) => a.as_primitive::<Decimal128Type>().value(row),
        _ => 0,
    }
}

fn float_at(a: &dyn Array, row: usize) -> f64 {
    match a.data_type() {
        Arrow::Float32 => a.as_primitive::<Float32Type>().value(row) as f64,
        Arrow::Float64 => a.as_primitive::<Float64Type>().value(row),
        _ => int_at(a, row) as f64,
    }
}

/// One aggregated column's state for every group.
pub enum Acc {
    Count {
        column: usize,
        n: Vec<u64>,
    },
    CountAll {
        n: Vec<u64>,
    },
    Distinct {
        encoder: KeyEncoder,
        sets: Vec<HashSet<Box<[u8]>>>,
    },
    Sum {
        column: usize,
        num: Num,
        ints: Vec<i128>,
        floats: Vec<f64>,
        counts: Vec<u64>,
        average: bool,
    },
    Extreme {
        column: usize,
        ty: DataType,
        encoder: KeyEncoder,
        best: Vec<Option<(Box<[u8]>, Value)>>,
        maximum: bool,
    },
}

impl Acc {
    /// The accumulator of a column of kind `kind` over the input column `source` (values of
    /// `ty`; none for count all).
    pub fn new(
        kind: Kind,
        ty: &DataType,
        source: Option<KeyColumn>,
    ) -> Result<Acc, AccumulateError> {
        let column = source.as_ref().map(|k| k.column).unwrap_or(0);
        Ok(match kind {
            Kind::Count => Acc::Count {
                column,
                n: Vec::new(),
            },
            Kind::CountAll => Acc::CountAll { n: Vec::new() },
            Kind::CountDistinct => Acc::Distinct {
                encoder: KeyEncoder::new(source.into_iter().collect())?,
                sets: Vec::new(),
            },
            Kind::Sum | Kind::Average => Acc::Sum {
                column,
                num: num_of(ty),
                ints: Vec::new(),
                floats: Vec::new(),
                counts: Vec::new(),
                average: kind == Kind::Average,
            },
            Kind::Minimum | Kind::Maximum => Acc::Extreme {
                column,
                ty: *ty,
                encoder: KeyEncoder::new(vec![KeyColumn {
                    column,
                    data_type: *ty,
                    descending: false,
                    flags: 0,
                }])?,
                best: Vec::new(),
                maximum: kind == Kind::Maximum,
            },
            Kind::GroupBy => return Err(AccumulateError::GroupBy),
        })
    }

    /// Makes room for `groups` groups.
    pub fn grow(&mut self, groups: usize) {
        match self {
            Acc::Count { n, .. } | Acc::CountAll { n } => n.resize(groups, 0),
            Acc::Distinct { sets, .. } => sets.resize_with(groups, HashSet::new),
            Acc::Sum {
                ints,
                floats,
                counts,
                ..
            } => {
                ints.resize(groups, 0);
                floats.resize(groups, 0.0);
                counts.resize(groups, 0);
            }
            Acc::Extreme { best, .. } => best.resize(groups, None),
        }
    }

    /// Adds the rows of `b` to their groups (`group_of[row]`, `u32::MAX` = not held here);
    /// returns the bytes the state grew by (estimated).
    pub fn add(
        &mut self,
        b: &Buffer,
        group_of: &[u32],
        groups: usize,
    ) -> Result<usize, AccumulateError> {
        self.grow(groups);
        let mut grew = 0;
        let rows = group_of
            .iter()
            .enumerate()
            .filter(|(_, g)| **g != u32::MAX)
            .map(|(r, g)| (r, *g as usize));
        match self {
            Acc::CountAll { n } => rows.for_each(|(_, g)| n[g] += 1),
            Acc::Count { column, n } => {
                let a = b.column(*column);
                rows.filter(|(r, _)| a.is_valid(*r))
                    .for_each(|(_, g)| n[g] += 1);
            }
            Acc::Distinct { encoder, sets } => {
                let keys = encoder.rows(b.columns())?;
                let column = encoder.keys()[0].column;
                let a = b.column(column);
                for (r, g) in rows {
                    if a.is_valid(r) {
                        let k = keys.row(r);
                        if !sets[g].contains(k.as_ref()) {
                            grew += k.as_ref().len() + 32;
                            sets[g].insert(k.as_ref().into());
                        }
                    }
                }
            }
            Acc::Sum {
                column,
                num,
                ints,
                floats,
                counts,
                ..
            } => {
                let a = b.column(*column);
                for (r, g) in rows {
                    if !a.is_valid(r) {
                        continue;
                    }
                    counts[g] += 1;
                    if *num == Num::Float {
                        floats[g] += float_at(a.as_ref(), r);
                    } else {
                        ints[g] = ints[g]
                            .checked_add(int_at(a.as_ref(), r))
                            .ok_or(AccumulateError::SumOverflow)?;
                    }
                }
            }
            Acc::Extreme {
                column,
                ty,
                encoder,
                best,
                maximum,
            } => {
                let keys = encoder.rows(b.columns())?;
                let a = b.column(*column);
                for (r, g) in rows {
                    if !a.is_valid(r) {
                        continue;
                    }
                    let k = keys.row(r);
                    let better = match &best[g] {
                        None => true,
                        Some((cur, _)) => {
                            if *maximum {
                                k.as_ref() > cur.as_ref()
                            } else {
                                k.as_ref() < cur.as_ref()
                            }
                        }
                    };
                    if better {
                        best[g] = Some((k.as_ref().into(), b.value(*column, r)));
                    }
                }
                let _ = ty;
            }
        }
        Ok(grew)
    }

    /// The result of group `g`, to be converted to the output type `out`.
    pub fn result(&self, g: usize, out: &DataType) -> Value {
        match self {
            Acc::Count { n, .. } | Acc::CountAll { n } => {
                Value::UI8(n.get(g).copied().unwrap_or(0))
            }
            Acc::Distinct { sets, .. } => {
                Value::UI8(sets.get(g).map(|s| s.len() as u64).unwrap_or(0))
            }
            Acc::Sum {
                num,
                ints,
                floats,
                counts,
                average,
                ..
            } => {
                let count = counts.get(g).copied().unwrap_or(0);
                if count == 0 {
                    return Value::Null(*out);
                }
                let (sum_i, sum_f) = (ints[g], floats[g]);
                match (num, average) {
                    (Num::Float, false) => Value::R8(sum_f),
                    (Num::Float, true) => Value::R8(sum_f / count as f64),
                    (Num::Signed | Num::Unsigned, true) => Value::R8(sum_i as f64 / count as f64),
                    (Num::Signed, false) => match i64::try_from(sum_i) {
                        Ok(v) => Value::I8(v),
                        Err(_) => Value::Numeric(Decimal::new(sum_i, 0)),
                    },
                    (Num::Unsigned, false) => match u64::try_from(sum_i) {
                        Ok(v) => Value::UI8(v),
                        Err(_) => Value::Numeric(Decimal::new(sum_i, 0)),
                    },
                    (Num::Decimal { scale, cy }, average) => {
                        let sum = Decimal::new(sum_i, *scale);
                        let v = if *average {
                            let places = match out {
                                DataType::Numeric { scale, .. } | DataType::Decimal { scale } => {
                                    *scale
                                }
                                DataType::Cy => 4,
                                _ => (*scale).max(6),
                            };
                            match sum.checked_div(&Decimal::from_i128(count as i128), places) {
                                Some(d) => d,
                                None => return Value::Null(*out),
                            }
                        } else {
                            sum
                        };
                        if *cy {
                            Value::Cy(v)
                        } else {
                            Value::Numeric(v)
                        }
                    }
                }
            }
            Acc::Extreme { best, .. } => match best.get(g) {
                Some(Some((_, v))) => v.clone(),
                _ => Value::Null(*out),
            },
        }
    }
}
