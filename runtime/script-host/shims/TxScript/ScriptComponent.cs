// Microsoft.SqlServer.TxScript stand-in: ScriptComponent (the base of the UserComponent class
// generated for each Script Component), ScriptBuffer (the base of the generated
// Input0Buffer/Output0Buffer classes) and OutputNameMap. The host gives the component its
// metadata, column indexes, variables and connection slots; ReadWriteVariables is available
// only in PostExecute, as in SSIS. The overridables do nothing, so calling `base.` is harmless.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.SqlServer.Dts.Pipeline.Wrapper;
using Microsoft.SqlServer.Dts.Runtime.Wrapper;

[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]
[assembly: System.Reflection.AssemblyTitle("Microsoft.SqlServer.TxScript stand-in of ssisd's script host")]
[assembly: InternalsVisibleTo("ssisd-script-host")]

namespace Microsoft.SqlServer.Dts.Pipeline
{
    /// Marks the ScriptMain class of a 2012+ script component.
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class SSISScriptComponentEntryPointAttribute : Attribute
    {
    }

    /// The output ids by output name.
    public class OutputNameMap
    {
        readonly Dictionary<string, int> ids = new Dictionary<string, int>(StringComparer.Ordinal);

        internal void Add(string name, int id) { ids[name] = id; }

        public int GetOutputID(string OutputName)
        {
            int id;
            if (ids.TryGetValue(OutputName, out id)) return id;
            throw new ArgumentException("The component has no output named \"" + OutputName + "\".");
        }
    }

    public class ScriptBuffer
    {
        protected PipelineBuffer Buffer;
        protected int[] BufferColumnIndexes;
        protected OutputNameMap OutputMap;

        public ScriptBuffer(PipelineBuffer Buffer, int[] BufferColumnIndexes, OutputNameMap OutputMap)
        {
            this.Buffer = Buffer;
            this.BufferColumnIndexes = BufferColumnIndexes;
            this.OutputMap = OutputMap;
        }

        protected object this[int ColumnIndex]
        {
            get { return Buffer[BufferColumnIndexes[ColumnIndex]]; }
            set { Buffer[BufferColumnIndexes[ColumnIndex]] = value; }
        }

        protected bool IsNull(int ColumnIndex) { return Buffer.IsNull(BufferColumnIndexes[ColumnIndex]); }
        protected void SetNull(int ColumnIndex) { Buffer.SetNull(BufferColumnIndexes[ColumnIndex]); }
        public bool NextRow() { return Buffer.NextRow(); }
        public bool EndOfRowset() { return Buffer.EndOfRowset; }
        public void AddRow() { Buffer.AddRow(); }
        public void SetEndOfRowset() { Buffer.SetEndOfRowset(); }
    }

    public class ScriptComponent
    {
        internal ComponentMetaData metaData = new ComponentMetaData("", 0);
        internal readonly Dictionary<int, int[]> columnIndexes = new Dictionary<int, int[]>();
        internal IDTSVariables100 readOnlyVariables = new ComponentVariables(new Ssisd.ScriptHost.Bridge.VariableSlot[0], false);
        internal IDTSVariables100 readWriteVariables = new ComponentVariables(new Ssisd.ScriptHost.Bridge.VariableSlot[0], true);
        internal bool inPostExecute;
        internal readonly Dictionary<string, IDTSConnectionManager100> connections = new Dictionary<string, IDTSConnectionManager100>(StringComparer.OrdinalIgnoreCase);

        /// What SSIS passes to GetValueWithContext; variables here need no context.
        public static object EvaluatorContext { get { return null; } }

        public IDTSComponentMetaData100 ComponentMetaData { get { return metaData; } }

        public IDTSVariables100 ReadOnlyVariables { get { return readOnlyVariables; } }

        public IDTSVariables100 ReadWriteVariables
        {
            get
            {
                if (!inPostExecute)
                    throw new InvalidOperationException("The collection of variables locked for read and write access is not available outside of PostExecute.");
                return readWriteVariables;
            }
        }

        /// The connection manager assigned to the component's connection `name`.
        public IDTSConnectionManager100 GetConnectionManager(string name)
        {
            IDTSConnectionManager100 c;
            if (connections.TryGetValue(name, out c)) return c;
            throw new ArgumentException("The component has no connection manager in its connection \"" + name + "\".");
        }

        public int[] GetColumnIndexes(int InputOrOutputID)
        {
            int[] found;
            if (columnIndexes.TryGetValue(InputOrOutputID, out found)) return found;
            throw new ArgumentException("The component has no input or output with the ID " + InputOrOutputID + ".");
        }

        public virtual void AcquireConnections(object Transaction) { }
        public virtual void ReleaseConnections() { }
        public virtual void PreExecute() { }
        public virtual void PostExecute() { }
        public virtual void ProcessInput(int InputID, string InputName, PipelineBuffer Buffer, OutputNameMap OutputMap) { }
        public virtual void PrimeOutput(int Outputs, int[] OutputIDs, PipelineBuffer[] Buffers, OutputNameMap OutputMap) { }
        public virtual void FinishOutputs() { }
    }
}
