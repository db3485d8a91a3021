//! The SSIS data types (`DT_*`) shared by everything that holds a typed value — variables,
//! parameters, Execute SQL bindings, data-flow columns and the expression language: the type
//! enum and its codes (`data_type.rs`), values and their text forms (`value.rs`), fixed-point
//! decimals (`decimal.rs`) and conversions between types (`convert.rs`). It must not know
//! about expressions, packages or buffers.

mod convert;
mod data_type;
mod decimal;
mod error;
mod value;

pub use convert::{base_date, can_cast, convert, date_parts, truncate_chars};
pub use data_type::{
    build_type, param_count, type_name_params, ColumnShape, DataType, TypeParams, CY_SCALE,
    DECIMAL_PRECISION, MAX_NUMERIC_PRECISION,
};
pub use decimal::{Decimal, MAX_SCALE};
pub use error::{ConversionError, TypeBuildError, VariableTextError};
pub use value::{format_float, parse_datetime_text, Value};
