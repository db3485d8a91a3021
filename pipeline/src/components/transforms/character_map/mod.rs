//! Character Map: maps the characters of string columns, either in place (an input column
//! marked read-write with MapFlags) or into a new output column (MapFlags and
//! InputColumnLineageId). The operations are SSIS's LCMapString flags: lowercase (0x100),
//! uppercase (0x200), byte reversal (0x800: the two bytes of each UTF-16 code unit swapped),
//! hiragana (0x100000), katakana (0x200000), half width (0x400000), full width (0x800000) and
//! linguistic casing (0x1000000, which with lower or upper case uses Unicode's full case
//! mappings — what ssisd does for case anyway). Simplified and traditional Chinese (0x2000000,
//! 0x4000000) need Windows' conversion tables, which Linux does not have: they are refused at
//! validation. Exclusive pairs (lower/upper, hiragana/katakana, half/full width) are refused
//! together. A mapped value longer than its column follows the truncation disposition, a byte
//! reversal that yields no valid text the error disposition. It must not touch other columns.

use std::sync::Arc;

use ssisd_engine::model::Dispositions;
use ssisd_engine::types::{DataType, Value};
use unicode_normalization::UnicodeNormalization;

use crate::buffer::values::{str_at, ColumnBuilder};
use crate::buffer::{Buffer, Layout};
use crate::codes;
use crate::collation::{to_hiragana, to_katakana};
use crate::component::{
    failure, handling, Component, ComponentSpec, FailureKind, Handling, Routing, RowError,
    RunContext,
};
use crate::components::transforms::derived_column::fit;
use crate::components::{lineage_ref, prop, prop_int};
use crate::error::{PipelineError, Problems};
use crate::registry::ComponentEntry;

pub const ENTRY: ComponentEntry = ComponentEntry {
    name: "Character Map",
    class_ids: &[
        "{DEC33219-BA68-4FEB-AC98-9C1B1E577A8D}",
        "DTSTransform.CharacterMap",
        "Microsoft.CharacterMap",
    ],
    create,
};

pub const LOWERCASE: u32 = 0x100;
pub const UPPERCASE: u32 = 0x200;
pub const BYTE_REVERSAL: u32 = 0x800;
pub const HIRAGANA: u32 = 0x10_0000;
pub const KATAKANA: u32 = 0x20_0000;
pub const HALF_WIDTH: u32 = 0x40_0000;
pub const FULL_WIDTH: u32 = 0x80_0000;
pub const LINGUISTIC_CASING: u32 = 0x100_0000;
pub const SIMPLIFIED_CHINESE: u32 = 0x200_0000;
pub const TRADITIONAL_CHINESE: u32 = 0x400_0000;

const KNOWN: u32 = LOWERCASE
    | UPPERCASE
    | BYTE_REVERSAL
    | HIRAGANA
    | KATAKANA
    | HALF_WIDTH
    | FULL_WIDTH
    | LINGUISTIC_CASING
    | SIMPLIFIED_CHINESE
    | TRADITIONAL_CHINESE;

/// MapFlags that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapFlagsError {
    #[error("its MapFlags are 0: choose at least one operation")]
    None,
    /// Bits that are no operation (only those bits).
    #[error("the MapFlags bits 0x{0:X} are not Character Map operations")]
    Unknown(u32),
    #[error("simplified and traditional Chinese mapping need Windows' conversion tables, which ssisd on Linux does not have")]
    Chinese,
    /// Two operations that exclude each other, as "lowercase and uppercase".
    #[error("{0} exclude each other")]
    Exclusive(&'static str),
    #[error("linguistic casing goes with lowercase or uppercase")]
    LinguisticWithoutCase,
}

/// A value the mapping cannot produce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("reversing the bytes of the value gives UTF-16 that is not valid text")]
    ByteReversal,
}

/// Why `flags` cannot be applied, if they cannot.
pub fn check(flags: u32) -> Result<(), MapFlagsError> {
    if flags == 0 {
        return Err(MapFlagsError::None);
    }
    if flags & !KNOWN != 0 {
        return Err(MapFlagsError::Unknown(flags & !KNOWN));
    }
    if flags & (SIMPLIFIED_CHINESE | TRADITIONAL_CHINESE) != 0 {
        return Err(MapFlagsError::Chinese);
    }
    for (a, b, what) in [
        (LOWERCASE, UPPERCASE, "lowercase and uppercase"),
        (HIRAGANA, KATAKANA, "hiragana and katakana"),
        (HALF_WIDTH, FULL_WIDTH, "half width and full width"),
    ] {
        if flags & a != 0 && flags & b != 0 {
            return Err(MapFlagsError::Exclusive(what));
        }
    }
    if flags & LINGUISTIC_CASING != 0 && flags & (LOWERCASE | UPPERCASE) == 0 {
        return Err(MapFlagsError::LinguisticWithoutCase);
    }
    Ok(())
}

fn full_width(c: char) -> char {
    match c as u32 {
        0x21..=0x7E => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
        0x20 => '\u{3000}',
        _ => c,
    }
}

fn half_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Half-width katakana for a full-width one (with the voicing marks split off), from the
/// compatibility mappings of U+FF61–U+FF9F.
fn half_katakana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        let mapped = match c {
            '\u{3099}' => Some('\u{FF9E}'),
            '\u{309A}' => Some('\u{FF9F}'),
            _ => (0xFF61u32..=0xFF9D)
                .filter_map(char::from_u32)
                .find(|h| h.to_string().nfkc().eq(std::iter::once(c))),
        };
        out.push(mapped.unwrap_or(c));
    }
    out.nfc().collect()
}

/// `s` mapped by `flags` (checked by [`check`]).
pub fn map(s: &str, flags: u32) -> Result<String, MapError> {
    let mut t: String = s.to_string();
    if flags & FULL_WIDTH != 0 {
        // Half-width katakana compose to full width first (NFKC on them only).
        let composed: String = t
            .chars()
            .map(|c| {
                if ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                    c.to_string().nfkc().collect::<String>()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .nfc()
            .collect();
        t = composed.chars().map(full_width).collect();
    }
    if flags & HALF_WIDTH != 0 {
        t = half_katakana(&t.chars().map(half_width).collect::<String>());
    }
    if flags & HIRAGANA != 0 {
        t = t.chars().map(to_hiragana).collect();
    }
    if flags & KATAKANA != 0 {
        t = t.chars().map(to_katakana).collect();
    }
    if flags & LOWERCASE != 0 {
        t = t.to_lowercase();
    }
    if flags & UPPERCASE != 0 {
        t = t.to_uppercase();
    }
    if flags & BYTE_REVERSAL != 0 {
        let units: Vec<u16> = t.encode_utf16().map(u16::swap_bytes).collect();
        t = String::from_utf16(&units).map_err(|_| MapError::ByteReversal)?;
    }
    Ok(t)
}

struct Mapping {
    source: usize,
    /// In place: the input column's buffer index; else a new column.
    in_place: bool,
    flags: u32,
    ty: DataType,
    lineage: i64,
    identification: String,
    dispositions: Dispositions,
}

struct CharacterMap {
    name: String,
    task_path: String,
    mappings: Vec<Mapping>,
    layout: Arc<Layout>,
}

fn create(spec: &ComponentSpec<'_>) -> Result<Box<dyn Component>, Problems> {
    let c = spec.component;
    let mut problems = Problems::default();
    let layout = spec.input_layouts.first().cloned().unwrap_or_default();
    let Some(output) = spec.main_output() else {
        return Err(spec.error("it has no output").into());
    };
    let mut mappings = Vec::new();
    let mut add = |source: Option<usize>,
                   in_place: bool,
                   flags: u32,
                   ty: DataType,
                   lineage: i64,
                   ident: String,
                   name: &str,
                   d: &Dispositions,
                   problems: &mut Problems| {
        let Some(source) = source else {
            problems.push(spec.error(format!(
                "the column \"{name}\" does not name the input column it maps"
            )));
            return;
        };
        if !layout.columns[source].data_type.is_string() || !ty.is_string() {
            problems.push(spec.error(format!(
                "the column \"{name}\" is {}; Character Map maps string columns only",
                layout.columns[source].data_type
            )));
            return;
        }
        if let Err(e) = check(flags) {
            problems.push(spec.error(format!("the column \"{name}\": {e}")));
            return;
        }
        mappings.push(Mapping {
            source,
            in_place,
            flags,
            ty,
            lineage,
            identification: ident,
            dispositions: d.clone(),
        });
    };
    for col in c
        .inputs
        .first()
        .map(|i| i.columns.as_slice())
        .unwrap_or(&[])
    {
        let Some(flags) = prop_int(&col.properties, "MapFlags") else {
            continue;
        };
        if col.usage != ssisd_engine::model::UsageType::ReadWrite {
            continue;
        }
        let source = layout.index_of(col.lineage.number);
        let (ty, name, ident) = match source {
            Some(i) => (
                layout.columns[i].data_type,
                layout.columns[i].name.clone(),
                layout.columns[i].identification.clone(),
            ),
            None => (
                DataType::Null,
                col.lineage.text.clone(),
                col.lineage.text.clone(),
            ),
        };
        add(
            source,
            true,
            flags as u32,
            ty,
            col.lineage.number,
            ident,
            &name,
            &col.dispositions,
            &mut problems,
        );
    }
    let o = &c.outputs[output];
    for col in &o.columns {
        let flags = prop_int(&col.properties, "MapFlags").unwrap_or(0) as u32;
        let source = prop(&col.properties, "InputColumnLineageId")
            .and_then(|t| lineage_ref(spec.flow, t))
            .and_then(|l| layout.index_of(l));
        add(
            source,
            false,
            flags,
            col.data_type.unwrap_or(DataType::Null),
            col.lineage_id,
            crate::metadata::identification(c, o, col),
            &col.name,
            &col.dispositions,
            &mut problems,
        );
    }
    problems.into_result()?;
    Ok(Box::new(CharacterMap {
        name: c.name.clone(),
        task_path: spec.task_path.to_string(),
        mappings,
        layout: spec.output_layouts[output].clone(),
    }))
}

impl Component for CharacterMap {
    fn process(
        &mut self,
        _input: usize,
        buffer: &mut Buffer,
        ctx: &RunContext<'_>,
    ) -> Result<Routing, PipelineError> {
        let n = buffer.rows();
        let mut errors = Vec::new();
        let mut added = Vec::new();
        for m in &self.mappings {
            let src = buffer.column(m.source).clone();
            let mut b = ColumnBuilder::new(&m.ty, n);
            for row in 0..n {
                let Some(s) = str_at(src.as_ref(), row) else {
                    b.append_null();
                    continue;
                };
                let result = map(s, m.flags)
                    .map_err(|e| (FailureKind::Error, e.to_string(), None))
                    .and_then(|t| fit(Value::WStr(t), &m.ty));
                match result {
                    Ok(v) => b.append_value(&v),
                    Err((kind, detail, cut)) => match handling(&m.dispositions, kind) {
                        Handling::Ignore => match cut {
                            Some(v) => b.append_value(&fit(v, &m.ty).unwrap_or(Value::Null(m.ty))),
                            None => b.append_null(),
                        },
                        Handling::Redirect => {
                            b.append_null();
                            errors.push(RowError {
                                row,
                                code: codes::INDUCED_FAILURE_ON_ERROR,
                                column: m.lineage,
                            });
                        }
                        Handling::Fail => {
                            return Err(failure(
                                &self.task_path,
                                &self.name,
                                &m.identification,
                                ctx.rows_before + row as u64 + 1,
                                codes::INDUCED_FAILURE_ON_ERROR,
                                kind,
                                &format!("mapping \"{s}\": {detail}"),
                            ))
                        }
                    },
                }
            }
            if m.in_place {
                buffer.replace(m.source, b.finish());
            } else {
                added.push(b.finish());
            }
        }
        if !added.is_empty() {
            buffer.append(self.layout.clone(), added);
        }
        Ok(Routing {
            per_row: None,
            errors,
        })
    }
}

#[cfg(test)]
mod tests;
