//! A first model of a Data Flow task's `pipeline`: components, their ports and connections,
//! and the paths between them. It is a description for a future data-flow engine, nothing
//! more; it must not hold column metadata beyond counts or try to run anything.

/// The `pipeline` element of a Data Flow task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFlow {
    pub components: Vec<DataFlowComponent>,
    pub paths: Vec<DataFlowPath>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFlowComponent {
    pub name: String,
    /// `refId` (2012+) or numeric `id` (2005/2008).
    pub id: String,
    /// A class GUID (`{BCEFE59B-…}`) or 2012+ name (`Microsoft.OLEDBSource`).
    pub class_id: String,
    pub description: String,
    pub connections: Vec<ComponentConnection>,
    pub inputs: Vec<DataFlowPort>,
    pub outputs: Vec<DataFlowPort>,
}

/// A component's use of a connection manager.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentConnection {
    pub name: String,
    /// `connectionManagerID` (DTSID or refId of the connection manager).
    pub connection_manager_id: String,
}

/// An input or output of a component.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFlowPort {
    pub name: String,
    pub id: String,
    pub column_count: usize,
    pub external_column_count: usize,
    pub is_error_output: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataFlowPath {
    pub name: String,
    pub id: String,
    /// Output id (`startId`).
    pub start_id: String,
    /// Input id (`endId`).
    pub end_id: String,
}
