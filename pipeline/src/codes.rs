//! The SSIS codes the pipeline raises (HRESULT-shaped: `0xC…` errors, `0x8…` warnings, `0x4…`
//! information), named as Microsoft names them. One table: components and the executor take
//! their codes from here. It must not hold messages.

/// DTS_E_PRIMEOUTPUTFAILED: a source (or asynchronous output) failed while producing rows.
pub const PRIME_OUTPUT_FAILED: u32 = 0xC004_7038;
/// DTS_E_PROCESSINPUTFAILED: a component failed while processing an input.
pub const PROCESS_INPUT_FAILED: u32 = 0xC004_7022;
/// DTS_E_THREADCANCELLED: the data flow stopped because the run was cancelled.
pub const THREAD_CANCELLED: u32 = 0xC004_7039;
/// DTS_E_VALIDATIONFAILEDONCOMPONENTS.
pub const VALIDATION_FAILED_ON_COMPONENTS: u32 = 0xC004_700C;
/// DTS_E_INDIVIDUALVALIDATIONFAILED: one component failed validation.
pub const INDIVIDUAL_VALIDATION_FAILED: u32 = 0xC004_7017;
/// DTS_E_INDUCEDTRANSFORMFAILUREONERROR: an error with the Fail Component disposition.
pub const INDUCED_FAILURE_ON_ERROR: u32 = 0xC020_9029;
/// DTS_E_INDUCEDTRANSFORMFAILUREONTRUNCATION: a truncation with Fail Component.
pub const INDUCED_FAILURE_ON_TRUNCATION: u32 = 0xC020_902A;
/// DTS_E_TXSPLITEXPRESSIONEVALUATEDTONULL: a Conditional Split condition was NULL.
pub const SPLIT_EXPRESSION_NULL: u32 = 0xC020_902B;
/// DTS_E_DATACONVERSIONFAILED.
pub const DATA_CONVERSION_FAILED: u32 = 0xC020_20C5;
/// DTS_E_ERRORWHILEREADINGDATAROWS: error while processing a flat file on a data row.
pub const ERROR_READING_DATA_ROWS: u32 = 0xC020_2092;
/// DTS_E_COLUMNDELIMITERNOTFOUND.
pub const COLUMN_DELIMITER_NOT_FOUND: u32 = 0xC020_2055;
/// DTS_E_EXPREVALCANNOTCONVERTRESULT: an expression result does not convert to the column type.
pub const EXPRESSION_CANNOT_CONVERT: u32 = 0xC004_709D;
/// DTS_E_EXPREVALFAILED (expression evaluation failed at run time).
pub const EXPRESSION_FAILED: u32 = 0xC004_7098;
/// DTS_E_CANNOTOPENDATAFILE / file cannot be opened (flat file adapters).
pub const CANNOT_OPEN_FILE: u32 = 0xC020_200E;
/// DTS_E_FILEWRITEERROR: writing a flat file failed.
pub const FILE_WRITE_ERROR: u32 = 0xC020_2009;
/// DTS_E_COMPONENTNOTFOUND-like: a component class this engine does not run (ssisd's code).
pub const COMPONENT_NOT_SUPPORTED: u32 = 0xC004_7067;
/// DTS_E_INVALIDOBJECTID-like: a path or column reference names nothing (ssisd uses it for
/// dangling references).
pub const INVALID_REFERENCE: u32 = 0xC004_7062;
/// DTS_E_CYCLEINEXECUTIONTREE-like: the paths form a cycle.
pub const CYCLE: u32 = 0xC004_7063;
/// DTS_E_COLUMNNOTFOUND-like: an input column or expression names a column that does not exist.
pub const COLUMN_NOT_FOUND: u32 = 0xC004_7064;
/// The Recordset Destination's VariableName does not name an Object variable (SSIS's code for
/// it; also used when the recordset cannot be stored).
pub const RECORDSET_VARIABLE_NOT_OBJECT: u32 = 0xC020_929C;
/// DTS_E_VARIABLENOTFOUND-like for Row Count and expressions.
pub const VARIABLE_INVALID: u32 = 0xC020_20EF;
/// DTS_E_TXLOOKUP_ROWLOOKUPERROR: a row yielded no match during lookup (also its ErrorCode).
pub const LOOKUP_NO_MATCH: u32 = 0xC020_901E;
/// E_OUTOFMEMORY: the data flow's memory budget refused what a cache needs.
pub const OUT_OF_MEMORY: u32 = 0x8007_000E;
/// DTS_E_CACHEBADHEADER-like: a cache or raw file is not one ssisd can read.
pub const BAD_FILE: u32 = 0xC00F_9310;
/// DTS_E_CACHE…: a second Cache Transform writes a cache another one already wrote.
pub const CACHE_WRITER_CONFLICT: u32 = 0xC001_0200;
/// DTS_E_TXLOOKUP…: the Lookup's join columns do not fit its reference columns.
pub const LOOKUP_JOIN_INVALID: u32 = 0xC020_903F;
/// DTS_E_INPUTMUSTBESORTED: a Merge or Merge Join input is not sorted (declared, or found
/// out of order while rows flow).
pub const INPUT_MUST_BE_SORTED: u32 = 0xC020_20AF;
/// DTS_E_ARITHMETICOVERFLOW-like: an Aggregate result does not fit its output column.
pub const ARITHMETIC_OVERFLOW: u32 = 0xC020_9011;
/// ssisd's information code for a blocking component that spilled rows to disk (SSIS shows
/// spooled buffers only as a performance counter).
pub const ROWS_SPILLED: u32 = 0x4004_9F01;
/// Column status codes placed in ErrorCode (each component family has its own block).
pub mod status {
    /// Flat File source: the value could not be converted.
    pub const FLAT_FILE_CANT_CONVERT: u32 = 0xC020_9084;
    /// Flat File source: the value was truncated.
    pub const FLAT_FILE_TRUNCATED: u32 = 0xC020_9085;
    /// Data Conversion: the value could not be converted.
    pub const CONVERSION_CANT_CONVERT: u32 = 0xC020_907F;
    /// Data Conversion: the value was truncated.
    pub const CONVERSION_TRUNCATED: u32 = 0xC020_9080;
    /// Data Conversion: overflow.
    pub const CONVERSION_OVERFLOW: u32 = 0xC020_9082;
    /// Derived Column: evaluation failed (DTS_E_EXPREVALCANNOTCONVERTRESULT family).
    pub const EXPRESSION_FAILED: u32 = super::EXPRESSION_CANNOT_CONVERT;
}

/// DTS_I_ROWS_WRITTEN-like information: `"<component>" wrote <n> rows.`
pub const ROWS_WRITTEN: u32 = 0x4004_300B;
/// DTS_I_STARTPROCESSINGFILE.
pub const START_PROCESSING_FILE: u32 = 0x4020_90DC;
/// DTS_I_FINISHPROCESSINGFILE.
pub const FINISH_PROCESSING_FILE: u32 = 0x4020_90DD;
/// DTS_I_TOTALDATAROWSPROCESSEDFORFILE.
pub const TOTAL_DATA_ROWS_FOR_FILE: u32 = 0x4020_90DE;
/// DTS_I_EXECUTIONPHASE_VALIDATE.
pub const PHASE_VALIDATE: u32 = 0x4004_300A;
/// DTS_I_EXECUTIONPHASE_PREEXECUTE.
pub const PHASE_PRE_EXECUTE: u32 = 0x4004_3007;
/// DTS_I_EXECUTIONPHASE_EXECUTE.
pub const PHASE_EXECUTE: u32 = 0x4004_300C;
/// DTS_I_EXECUTIONPHASE_POSTEXECUTE.
pub const PHASE_POST_EXECUTE: u32 = 0x4004_3008;
/// DTS_I_EXECUTIONPHASE_CLEANUP.
pub const PHASE_CLEANUP: u32 = 0x4004_3009;
/// DTS_W_PARTIALROWFOUNDATENDOFFILE.
pub const PARTIAL_ROW_AT_END_OF_FILE: u32 = 0x8020_200F;
/// DTS_E_SCD…: a fixed attribute of a dimension member changed (FailOnFixedAttributeChange).
pub const SCD_FIXED_ATTRIBUTE_CHANGE: u32 = 0xC020_803C;
/// DTS_E_SCD…: the dimension has no row for a business key (FailOnLookupFailure).
pub const SCD_LOOKUP_FAILURE: u32 = 0xC020_803D;
/// DTS_W_TXLOOKUP_DUPLICATE_KEYS: duplicate reference keys while filling a full cache.
pub const LOOKUP_DUPLICATE_KEYS: u32 = 0x8020_90E4;
/// DTS_W_NOMATCHOUTPUTGETSNOROWS: the no-match output is attached but misses are errors.
pub const NO_MATCH_OUTPUT_GETS_NO_ROWS: u32 = 0x8020_930C;
/// DTS_I_TXLOOKUP_CACHE_FINAL: `<lookup> has cached a total of <n> rows.`
pub const LOOKUP_CACHED_TOTAL: u32 = 0x4004_90F5;
/// DTS_W_REDIRECTWITHNOATTACHEDERROROUTPUTS.
pub const REDIRECT_WITHOUT_ERROR_PATH: u32 = 0x8020_8386;
/// DTS_W_UNUSEDOUTPUTDATA-like warning for outputs nobody reads.
pub const UNUSED_OUTPUT: u32 = 0x8004_7076;

/// DTS_E_OLEDBERROR: the database or its driver refused a statement (data-flow database
/// components; the driver's message follows).
pub const DATABASE_ERROR: u32 = 0xC020_2009;
/// DTS_E_CANNOTACQUIRECONNECTIONFROMCONNECTIONMANAGER: a database component could not connect.
pub const CANNOT_ACQUIRE_CONNECTION: u32 = 0xC020_801C;
/// DTS_W_EXTERNALMETADATACOLUMNSOUTOFSYNC: the database describes a column otherwise than the
/// package's external metadata.
pub const EXTERNAL_METADATA_OUT_OF_SYNC: u32 = 0x8020_2066;
/// DTS_I_OLEDBDESTZEROMAXCOMMITSIZE: fast load commits once, at the end.
pub const ZERO_MAX_COMMIT_SIZE: u32 = 0x4020_F42C;

/// Column status codes of the database sources and destinations (ErrorCode values).
pub mod db_status {
    /// OLE DB source: the value could not be converted to the output column's type.
    pub const SOURCE_CANT_CONVERT: u32 = 0xC020_9072;
    /// OLE DB source: the value is longer than the output column.
    pub const SOURCE_TRUNCATED: u32 = 0xC020_9073;
    /// OLE DB destination: the database could not convert the value.
    pub const DEST_CANT_CONVERT: u32 = 0xC020_9077;
    /// OLE DB destination: the value is longer than the target column.
    pub const DEST_TRUNCATED: u32 = 0xC020_9078;
    /// OLE DB destination: the value is out of the target column's range.
    pub const DEST_OVERFLOW: u32 = 0xC020_907A;
    /// OLE DB destination: the database gave no status for the rejected row.
    pub const DEST_NO_STATUS: u32 = 0xC020_907B;
    /// OLE DB destination: permission denied.
    pub const DEST_PERMISSION: u32 = 0xC020_907C;
    /// OLE DB destination: a constraint (key, foreign key, check, NOT NULL) was violated.
    pub const DEST_INTEGRITY: u32 = 0xC020_907D;
    /// OLE DB Command: the database could not convert a parameter.
    pub const COMMAND_CANT_CONVERT: u32 = 0xC020_9069;
    /// OLE DB Command: a constraint was violated.
    pub const COMMAND_INTEGRITY: u32 = 0xC020_9070;
    /// OLE DB Command: permission denied.
    pub const COMMAND_PERMISSION: u32 = 0xC020_906F;
}

/// The code as SSIS prints it (`0xC0209029`).
pub fn hex(code: u32) -> String {
    format!("0x{code:08X}")
}

/// The code as the signed decimal that ErrorCode columns hold (`-1071607767`).
pub fn signed(code: u32) -> i32 {
    code as i32
}
