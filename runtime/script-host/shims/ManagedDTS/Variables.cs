// Microsoft.SqlServer.ManagedDTS stand-in: Variable, Variables and VariableDispenser over the
// variables the host was given. A Variable is a view of one package variable, writable only
// when the script's ReadWriteVariables (or a dispenser write lock) says so; a write keeps the
// variable's type strictly (Object variables excepted), as SSIS does, and is reported to the
// run at once.
using System;
using System.Collections;
using System.Collections.Generic;
using Ssisd.ScriptHost.Bridge;

namespace Microsoft.SqlServer.Dts.Runtime
{
    public enum DTSExecResult
    {
        Success = 0,
        Failure = 1,
        Completion = 2,
        Canceled = 3,
    }

    public sealed class Variable
    {
        readonly VariableSlot slot;
        readonly bool writable;

        internal Variable(VariableSlot slot, bool writable)
        {
            this.slot = slot;
            this.writable = writable;
        }

        public string Name { get { return slot.Name; } }
        public string Namespace { get { return slot.Namespace; } }
        public string QualifiedName { get { return slot.QualifiedName; } }
        public string Description { get { return slot.Description; } }
        public string ID { get { return slot.Id; } }
        public TypeCode DataType { get { return slot.Type; } }
        public bool ReadOnly { get { return !writable || slot.VariableReadOnly; } }
        public bool SystemVariable { get { return slot.Namespace == "System"; } }
        public bool EvaluateAsExpression { get { return false; } }
        public string Expression { get { return ""; } }
        public bool RaiseChangedEvent { get { return false; } }

        public object Value
        {
            get { return slot.Value; }
            set
            {
                if (ReadOnly) throw Errors.ReadOnly(slot.QualifiedName);
                if (slot.Type != TypeCode.Object)
                {
                    if (value == null || Type.GetTypeCode(value.GetType()) != slot.Type)
                        throw Errors.TypeChange(slot.QualifiedName, slot.Type, value);
                }
                slot.Value = value;
                slot.Written = true;
                if (Host.Channel != null) Host.Channel.VariableWritten(slot);
            }
        }

        public object GetSensitiveValue() { return slot.Value; }

        public override string ToString() { return slot.QualifiedName; }
    }

    public class Variables : ReadOnlyCollectionBase
    {
        readonly List<Variable> items = new List<Variable>();

        internal Variables() { }

        internal void Add(Variable v)
        {
            items.Add(v);
            InnerList.Add(v);
        }

        /// By index, by qualified name or by bare name (names are case-sensitive).
        public Variable this[object index]
        {
            get
            {
                Variable v = Lookup(index);
                if (v == null) throw Errors.ElementNotFound(index);
                return v;
            }
        }

        Variable Lookup(object index)
        {
            if (index == null) return null;
            if (index is int)
            {
                int i = (int)index;
                return i >= 0 && i < items.Count ? items[i] : null;
            }
            string name = index.ToString().Trim();
            bool qualified = name.IndexOf("::", StringComparison.Ordinal) >= 0;
            Variable found = null;
            foreach (var v in items)
            {
                bool match = qualified ? v.QualifiedName == name : v.Name == name;
                if (!match) continue;
                if (found != null && found.Namespace != v.Namespace) return null;
                if (found == null) found = v;
            }
            return found;
        }

        public bool Contains(object index) { return Lookup(index) != null; }

        public bool Locked { get { return items.Count > 0; } }

        /// Releases the locks: the collection is empty afterwards.
        public void Unlock()
        {
            items.Clear();
            InnerList.Clear();
        }
    }

    public class VariableDispenser
    {
        readonly List<string> reads = new List<string>();
        readonly List<string> writes = new List<string>();

        static VariableSlot Resolve(string name)
        {
            VariableSlot s = Host.Find(name);
            if (s == null) throw new DtsRuntimeException(HResults.DTS_E_VARIABLENOTFOUND,
                "The variable cannot be found. This occurs when an attempt is made to retrieve a variable from the Variables collection on a container during execution of the package, and the variable is not there. The variable name may have changed or the variable is not being created. (The variable asked for: \"" + name + "\".)");
            return s;
        }

        public bool Contains(string variable) { return Host.Find(variable) != null; }

        public string GetQualifiedName(string variable) { return Resolve(variable).QualifiedName; }

        public void LockForRead(string variable) { Resolve(variable); reads.Add(variable); }

        public void LockForWrite(string variable) { Resolve(variable); writes.Add(variable); }

        public void GetVariables(ref Variables variables)
        {
            var vs = new Variables();
            foreach (var n in reads) vs.Add(new Variable(Resolve(n), false));
            foreach (var n in writes) vs.Add(new Variable(Resolve(n), true));
            reads.Clear();
            writes.Clear();
            variables = vs;
        }

        public void LockOneForRead(string variable, ref Variables variables)
        {
            var vs = new Variables();
            vs.Add(new Variable(Resolve(variable), false));
            variables = vs;
        }

        public void LockOneForWrite(string variable, ref Variables variables)
        {
            var vs = new Variables();
            vs.Add(new Variable(Resolve(variable), true));
            variables = vs;
        }

        public void Reset() { reads.Clear(); writes.Clear(); }
    }

    /// Builds the collections the script task hands to the script.
    public static class ScriptVariables
    {
        /// The variables of the task's ReadOnlyVariables and ReadWriteVariables lists.
        public static Variables Listed()
        {
            var vs = new Variables();
            foreach (var s in Host.Variables)
            {
                if (s.Access == VariableAccess.NotListed) continue;
                vs.Add(new Variable(s, s.Access == VariableAccess.ReadWrite));
            }
            return vs;
        }
    }
}
