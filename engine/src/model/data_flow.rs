//! The model of a Data Flow task's `pipeline`: its settings, the components with their custom
//! properties, connections, inputs and outputs, every column (output, input and external
//! metadata) with its type and dispositions, and the paths between outputs and inputs. Both
//! eras are held in one shape: 2005/2008 files number every object (`id`, `lineageId`), 2012+
//! files name them (`refId`); the loader gives 2012+ objects numbers in document order, so
//! every object has an [`ObjectId`] with a number (what `#123`, ErrorColumn and the event
//! stream use) and, when the file had one, its refId. It owns the data only: it must not
//! decide which components exist, check types or run anything (that is `ssisd-pipeline`).

use crate::types::DataType;

/// Settings on the `pipeline` element; `None` when the file leaves the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineSettings {
    /// `defaultBufferMaxRows` (SSIS default 10000).
    pub default_buffer_max_rows: Option<u32>,
    /// `defaultBufferSize` in bytes (SSIS default 10485760).
    pub default_buffer_size: Option<u64>,
    /// `engineThreads` (SSIS default 10).
    pub engine_threads: Option<u32>,
    /// `bufferTempStoragePath`: `;`-separated folders, empty = the system temp directory.
    pub buffer_temp_storage_path: String,
    /// `BLOBTempStoragePath`.
    pub blob_temp_storage_path: String,
    /// `runInOptimizedMode` (default true).
    pub run_in_optimized_mode: Option<bool>,
    /// `autoAdjustBufferSize` (2016+).
    pub auto_adjust_buffer_size: Option<bool>,
}

/// The `pipeline` element of a Data Flow task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFlow {
    /// True for the 2012+ layout (refIds), false for 2005/2008 (numbers).
    pub uses_ref_ids: bool,
    pub settings: PipelineSettings,
    pub components: Vec<Component>,
    pub paths: Vec<Path>,
}

/// The identity of a pipeline object: its number (the file's `id` in 2005/2008, assigned in
/// document order for 2012+) and its 2012+ refId.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub number: i64,
    pub ref_id: Option<String>,
}

impl ObjectId {
    /// The refId when there is one, else the number (for messages).
    pub fn display(&self) -> String {
        match &self.ref_id {
            Some(r) => r.clone(),
            None => self.number.to_string(),
        }
    }
}

/// A reference from one object to another (`lineageId`, `synchronousInputId`,
/// `externalMetadataColumnId`, a path's ends): the text as written and the number it resolves
/// to (0 when it is empty, `0`, or names nothing in this pipeline).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reference {
    pub text: String,
    pub number: i64,
}

impl Reference {
    /// True when the attribute named something (it may still resolve to nothing).
    pub fn is_set(&self) -> bool {
        !self.text.is_empty() && self.text != "0"
    }
}

/// Per-object error and truncation handling (`errorRowDisposition`, `truncationRowDisposition`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RowDisposition {
    /// `NotUsed`: the object cannot fail this way (the default).
    #[default]
    NotUsed,
    /// `FailComponent`.
    FailComponent,
    /// `IgnoreFailure`: the row goes on; a failed value becomes NULL.
    IgnoreFailure,
    /// `RedirectRow`: the row goes to the error output.
    RedirectRow,
}

impl RowDisposition {
    /// Reads the XML spelling; anything unknown is `NotUsed`.
    pub fn parse(text: &str) -> RowDisposition {
        match text.trim().to_ascii_lowercase().as_str() {
            "failcomponent" => RowDisposition::FailComponent,
            "ignorefailure" => RowDisposition::IgnoreFailure,
            "redirectrow" => RowDisposition::RedirectRow,
            _ => RowDisposition::NotUsed,
        }
    }
}

/// `errorOrTruncationOperation` and the two dispositions of an input, output or column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dispositions {
    /// Localised display text of the operation (`Conversion`, `Computation`, `Insert`, …).
    pub operation: String,
    pub error: RowDisposition,
    pub truncation: RowDisposition,
}

/// A custom property (`<property>`) of a component, input, output or column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomProperty {
    pub name: String,
    /// The .NET type name (`System.String`, `System.Int32`, `System.Boolean`, `System.Null`, …).
    pub data_type: String,
    /// The element text (for arrays, empty; see `elements`).
    pub value: String,
    /// `typeConverter` (an enum converter such as `AccessMode`, or empty).
    pub type_converter: String,
    /// `containsID`: the value embeds lineage references (`#12`, `#{refId}`).
    pub contains_id: bool,
    /// `expressionType="Notify"`: a property expression on the task may set it.
    pub expression_enabled: bool,
    /// `isArray` values (`arrayElements/arrayElement`).
    pub elements: Vec<String>,
}

/// A component's runtime connection slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentConnection {
    pub id: ObjectId,
    /// The slot name (`FlatFileConnection`, `OleDbConnection`, …).
    pub name: String,
    pub description: String,
    /// `connectionManagerID`: a DTSID (`{…}` or `{…}:external`) or
    /// `Package.ConnectionManagers[Name]`.
    pub connection_manager_id: String,
    /// 2012+ `connectionManagerRefId` (`Package.ConnectionManagers[Name]`,
    /// `Project.ConnectionManagers[Name]`), empty when absent.
    pub connection_manager_ref_id: String,
}

impl ComponentConnection {
    /// The key to find the connection manager by: the refId when written, else the id.
    pub fn manager_key(&self) -> &str {
        if self.connection_manager_ref_id.is_empty() {
            &self.connection_manager_id
        } else {
            &self.connection_manager_ref_id
        }
    }
}

/// An `outputColumn`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputColumn {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    /// The column's lineage number: `lineageId` in 2005/2008 (normally equal to `id`), the
    /// column's own number in 2012+ (where `lineageId` repeats its refId).
    pub lineage_id: i64,
    /// The short type name as written (`str`, `i4`, …).
    pub type_name: String,
    /// The type with its shape; `None` when the name is unknown.
    pub data_type: Option<DataType>,
    /// Signed: positive ascending, negative descending, 0 not a sort key.
    pub sort_key_position: i32,
    pub comparison_flags: u32,
    /// 1 = ErrorCode, 2 = ErrorColumn, else 0.
    pub special_flags: u32,
    pub dispositions: Dispositions,
    pub external_metadata_column: Reference,
    pub properties: Vec<CustomProperty>,
}

/// Whether a component reads an input column or overwrites it in place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UsageType {
    #[default]
    ReadOnly,
    ReadWrite,
}

/// An `inputColumn`: a reference to an upstream output column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputColumn {
    pub id: ObjectId,
    /// `name` (2005/2008, often empty) or `cachedName` (2012+).
    pub name: String,
    pub description: String,
    /// The upstream output column: `lineageId` as written and its lineage number.
    pub lineage: Reference,
    pub usage: UsageType,
    pub dispositions: Dispositions,
    pub external_metadata_column: Reference,
    /// 2012+ cached upstream type (`cachedDataType` …), `None` when absent.
    pub cached_type: Option<DataType>,
    pub cached_sort_key_position: i32,
    pub properties: Vec<CustomProperty>,
}

/// An `externalMetadataColumn`: the external store's view of a column (file, table).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalColumn {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    pub type_name: String,
    pub data_type: Option<DataType>,
    pub properties: Vec<CustomProperty>,
}

/// An `input` of a component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    pub has_side_effects: bool,
    pub dangling: bool,
    pub dispositions: Dispositions,
    pub columns: Vec<InputColumn>,
    /// `externalMetadataColumns isUsed`.
    pub external_metadata_used: bool,
    pub external_columns: Vec<ExternalColumn>,
    pub properties: Vec<CustomProperty>,
}

/// An `output` of a component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    /// `synchronousInputId`: the input whose buffer this output reuses; unset = asynchronous.
    pub synchronous_input: Reference,
    /// 0: every synchronous output sees every row; otherwise outputs of one group get
    /// disjoint rows.
    pub exclusion_group: i32,
    pub is_error_output: bool,
    pub is_sorted: bool,
    pub dangling: bool,
    pub delete_output_on_path_detached: bool,
    pub has_side_effects: bool,
    pub dispositions: Dispositions,
    pub columns: Vec<OutputColumn>,
    pub external_metadata_used: bool,
    pub external_columns: Vec<ExternalColumn>,
    pub properties: Vec<CustomProperty>,
}

/// The column of `columns` that `reference` (a column's `externalMetadataColumnId`) names.
fn external_named<'a>(
    columns: &'a [ExternalColumn],
    reference: &Reference,
) -> Option<&'a ExternalColumn> {
    columns
        .iter()
        .find(|e| reference.is_set() && e.id.number == reference.number)
}

impl Input {
    /// The external metadata column `col` maps to, if it maps to one.
    pub fn external_of(&self, col: &InputColumn) -> Option<&ExternalColumn> {
        external_named(&self.external_columns, &col.external_metadata_column)
    }
}

impl Output {
    /// The external metadata column `col` maps to, if it maps to one.
    pub fn external_of(&self, col: &OutputColumn) -> Option<&ExternalColumn> {
        external_named(&self.external_columns, &col.external_metadata_column)
    }

    pub fn is_synchronous(&self) -> bool {
        self.synchronous_input.is_set()
    }
}

/// A `component` of the pipeline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Component {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    /// A class GUID (`{5ACD952A-…}`), ProgID (`DTSAdapter.FlatFileSource.3`) or moniker
    /// (`Microsoft.FlatFileSource`), as written.
    pub class_id: String,
    /// `contactInfo`; its first `;`-separated field names the component.
    pub contact_info: String,
    pub version: i32,
    pub uses_dispositions: bool,
    /// `localeId`, -1 = inherit.
    pub locale_id: i32,
    pub validate_external_metadata: bool,
    pub properties: Vec<CustomProperty>,
    pub connections: Vec<ComponentConnection>,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
}

impl Component {
    /// The custom property `name` (ignoring case).
    pub fn property(&self, name: &str) -> Option<&CustomProperty> {
        find_property(&self.properties, name)
    }

    /// The text of the custom property `name`, if set.
    pub fn property_text(&self, name: &str) -> Option<&str> {
        self.property(name).map(|p| p.value.as_str())
    }
}

/// The custom property `name` (ignoring case) in `properties`.
pub fn find_property<'a>(
    properties: &'a [CustomProperty],
    name: &str,
) -> Option<&'a CustomProperty> {
    properties
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// A `path` from one output to one input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Path {
    pub id: ObjectId,
    pub name: String,
    pub description: String,
    /// The output (`startId`).
    pub start: Reference,
    /// The input (`endId`).
    pub end: Reference,
}
