// Microsoft.SqlServer.DTSRuntimeWrap stand-in: the variables and connection managers a Script
// Component reaches (IDTSVariables100 / IDTSVariable100 over the component's
// ReadOnlyVariables or ReadWriteVariables, IDTSConnectionManager100 over the package's
// managers through the ManagedDTS stand-in, so AcquireConnection answers as it does for a
// Script Task). A write keeps the variable's type and is kept until the host writes it back
// after PostExecute, as SSIS does with a component's ReadWrite variables.
using System;
using System.Collections;
using System.Collections.Generic;
using Ssisd.ScriptHost.Bridge;

[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]
[assembly: System.Reflection.AssemblyTitle("Microsoft.SqlServer.DTSRuntimeWrap stand-in of ssisd's script host")]

namespace Microsoft.SqlServer.Dts.Runtime.Wrapper
{
    public interface IDTSVariable100
    {
        string Name { get; }
        string Namespace { get; }
        string QualifiedName { get; }
        TypeCode DataType { get; }
        bool ReadOnly { get; }
        object Value { get; set; }
        object GetValueWithContext(object pVarContext);
        void SetValueWithContext(object pVarContext, object Value);
    }

    public interface IDTSVariables100 : IEnumerable
    {
        int Count { get; }
        bool Locked { get; }
        IDTSVariable100 this[object Index] { get; }
        bool Contains(object Index);
        void Unlock();
    }

    public interface IDTSConnectionManager100
    {
        string Name { get; }
        string ID { get; }
        string Description { get; }
        string CreationName { get; }
        string ConnectionString { get; set; }
        object AcquireConnection(object pTransaction);
        void ReleaseConnection(object pConnection);
    }

    /// One listed variable.
    public sealed class ComponentVariable : IDTSVariable100
    {
        readonly VariableSlot slot;
        readonly bool writable;

        public ComponentVariable(VariableSlot slot, bool writable)
        {
            this.slot = slot;
            this.writable = writable;
        }

        public string Name { get { return slot.Name; } }
        public string Namespace { get { return slot.Namespace; } }
        public string QualifiedName { get { return slot.QualifiedName; } }
        public TypeCode DataType { get { return slot.Type; } }
        public bool ReadOnly { get { return !writable || slot.VariableReadOnly; } }

        public object Value
        {
            get { return slot.Value; }
            set
            {
                if (ReadOnly)
                    throw new InvalidOperationException("Error trying to write to a read-only variable, \"" + slot.QualifiedName + "\".");
                object v = value;
                if (slot.Type != TypeCode.Object && v != null && Type.GetTypeCode(v.GetType()) != slot.Type)
                {
                    try { v = Convert.ChangeType(v, slot.Type, System.Globalization.CultureInfo.InvariantCulture); }
                    catch (Exception)
                    {
                        throw new InvalidOperationException("The type of the value being assigned to variable \"" + slot.QualifiedName + "\" differs from the current variable type. Variables may not change type during execution. Variable types are strict, except for variables of type Object.");
                    }
                }
                slot.Value = v;
                slot.Written = true;
            }
        }

        public object GetValueWithContext(object pVarContext) { return Value; }
        public void SetValueWithContext(object pVarContext, object Value) { this.Value = Value; }
    }

    /// A component's ReadOnlyVariables or ReadWriteVariables.
    public sealed class ComponentVariables : IDTSVariables100
    {
        readonly List<ComponentVariable> list = new List<ComponentVariable>();
        readonly List<VariableSlot> slots = new List<VariableSlot>();

        public ComponentVariables(IEnumerable<VariableSlot> listed, bool writable)
        {
            foreach (var s in listed)
            {
                slots.Add(s);
                list.Add(new ComponentVariable(s, writable));
            }
        }

        public int Count { get { return list.Count; } }
        public bool Locked { get { return true; } }
        public void Unlock() { }
        public IEnumerator GetEnumerator() { return list.GetEnumerator(); }

        int IndexOf(object index)
        {
            if (index is int) return (int)index < list.Count ? (int)index : -1;
            string n = Convert.ToString(index);
            if (n == null) return -1;
            int sep = n.IndexOf("::", StringComparison.Ordinal);
            for (int i = 0; i < slots.Count; i++)
            {
                if (sep >= 0 ? slots[i].QualifiedName == n : slots[i].Name == n) return i;
            }
            return -1;
        }

        public bool Contains(object Index) { return IndexOf(Index) >= 0; }

        public IDTSVariable100 this[object Index]
        {
            get
            {
                int i = IndexOf(Index);
                if (i < 0)
                    throw new IndexOutOfRangeException("The element cannot be found in a collection. This error happens when you try to retrieve an element from a collection on a container during execution of the package and the element is not there. (variable \"" + Index + "\")");
                return list[i];
            }
        }
    }

    /// A connection manager assigned to one of the component's connection slots.
    public sealed class ComponentConnection : IDTSConnectionManager100
    {
        readonly Microsoft.SqlServer.Dts.Runtime.ConnectionManager manager;

        public ComponentConnection(Microsoft.SqlServer.Dts.Runtime.ConnectionManager manager)
        {
            this.manager = manager;
        }

        public string Name { get { return manager.Name; } }
        public string ID { get { return manager.ID; } }
        public string Description { get { return manager.Description; } }
        public string CreationName { get { return manager.CreationName; } }
        public string ConnectionString
        {
            get { return manager.ConnectionString; }
            set { manager.ConnectionString = value; }
        }
        public object AcquireConnection(object pTransaction) { return manager.AcquireConnection(pTransaction); }
        public void ReleaseConnection(object pConnection) { manager.ReleaseConnection(pConnection); }
    }
}
