// Ssisd.ScriptHost.Bridge: the one place where the stand-in SSIS assemblies meet the script
// host. The host fills in the task's (or component's) variables and connections and implements
// IHostChannel; the stand-ins (ManagedDTS, ScriptTask, the pipeline stand-ins, Windows Forms,
// Visual Basic) read that state and report through the channel. A data-flow batch is held as
// BatchColumns, which the host decodes from the wire and the PipelineBuffer stand-in reads and
// writes. It knows nothing of the wire protocol nor of the SSIS types.
using System;
using System.Collections.Generic;

[assembly: System.Reflection.AssemblyVersion("1.0.0.0")]

namespace Ssisd.ScriptHost.Bridge
{
    /// How a script may use a variable.
    public enum VariableAccess
    {
        /// In scope, but in neither list: reachable only through the VariableDispenser.
        NotListed = 0,
        /// In ReadOnlyVariables.
        ReadOnly = 1,
        /// In ReadWriteVariables.
        ReadWrite = 2,
    }

    /// One package variable as the script sees it.
    public sealed class VariableSlot
    {
        public string QualifiedName;
        public string Namespace;
        public string Name;
        /// The variable's .NET type (Object for Object variables).
        public TypeCode Type;
        public object Value;
        public VariableAccess Access;
        /// The variable's own ReadOnly property (system variables, read-only user variables).
        public bool VariableReadOnly;
        public string Description;
        public string Id;
        /// Set once the script has written the variable.
        public bool Written;
    }

    /// One connection manager of the package.
    public sealed class ConnectionSlot
    {
        public string Name;
        public string Id;
        /// FILE, FLATFILE, OLEDB, ADO.NET:<type>, …
        public string CreationName;
        public string ConnectionString;
        /// For FILE and FLATFILE: the path, mapped to this machine.
        public string FilePath;
        public string Description;
    }

    /// What the stand-ins report to the run.
    public interface IHostChannel
    {
        void Information(int code, string subComponent, string description);
        void Warning(int code, string subComponent, string description);
        void Error(int code, string subComponent, string description);
        void Progress(string description, int percent, string subComponent);
        void Custom(string eventName, string text, string subComponent);
        void Log(string message, int dataCode, int dataBytes);
        void VariableWritten(VariableSlot variable);
        void MessageBox(string text, string caption, string answer);
    }

    /// The state of the one task this process runs.
    public static class Host
    {
        public static IHostChannel Channel;
        public static string TaskName = "";
        public static readonly List<VariableSlot> Variables = new List<VariableSlot>();
        public static readonly List<ConnectionSlot> Connections = new List<ConnectionSlot>();

        /// The variable named `name` (`Namespace::Name`, or a bare name when only one
        /// namespace has it), or null.
        public static VariableSlot Find(string name)
        {
            if (name == null) return null;
            string n = name.Trim();
            if (n.StartsWith("@")) n = n.Substring(1);
            if (n.StartsWith("[") && n.EndsWith("]")) n = n.Substring(1, n.Length - 2);
            int sep = n.IndexOf("::", StringComparison.Ordinal);
            VariableSlot found = null;
            foreach (var v in Variables)
            {
                bool match = sep >= 0
                    ? v.QualifiedName == n
                    : v.Name == n;
                if (!match) continue;
                if (found != null && found.Namespace != v.Namespace) return null;
                if (found == null) found = v;
            }
            return found;
        }
    }

    /// The .NET types a data-flow column can hold in a batch: System.TypeCode numbers, plus
    /// byte arrays (the same numbers the wire uses).
    public static class ColumnKind
    {
        public const byte Boolean = 3;
        public const byte SByte = 5;
        public const byte Byte = 6;
        public const byte Int16 = 7;
        public const byte UInt16 = 8;
        public const byte Int32 = 9;
        public const byte UInt32 = 10;
        public const byte Int64 = 11;
        public const byte UInt64 = 12;
        public const byte Single = 13;
        public const byte Double = 14;
        public const byte Decimal = 15;
        public const byte DateTime = 16;
        public const byte String = 18;
        public const byte Bytes = 100;

        /// The .NET element type of a column of `kind`.
        public static Type ElementType(byte kind)
        {
            switch (kind)
            {
                case Boolean: return typeof(bool);
                case SByte: return typeof(sbyte);
                case Byte: return typeof(byte);
                case Int16: return typeof(short);
                case UInt16: return typeof(ushort);
                case Int32: return typeof(int);
                case UInt32: return typeof(uint);
                case Int64: return typeof(long);
                case UInt64: return typeof(ulong);
                case Single: return typeof(float);
                case Double: return typeof(double);
                case Decimal: return typeof(decimal);
                case DateTime: return typeof(System.DateTime);
                case String: return typeof(string);
                case Bytes: return typeof(byte[]);
                default: throw new ArgumentException("unknown column kind " + kind);
            }
        }
    }

    /// One column of a data-flow batch: typed values and a null flag per row.
    public sealed class BatchColumn
    {
        public readonly byte Kind;
        public Array Values;
        public bool[] Nulls;

        public BatchColumn(byte kind, int capacity)
        {
            Kind = kind;
            Values = Array.CreateInstance(ColumnKind.ElementType(kind), capacity);
            Nulls = new bool[capacity];
        }

        public BatchColumn(byte kind, Array values, bool[] nulls)
        {
            Kind = kind;
            Values = values;
            Nulls = nulls;
        }

        public int Capacity { get { return Nulls.Length; } }

        /// Grows to at least `capacity` rows, keeping the values.
        public void Grow(int capacity)
        {
            if (capacity <= Nulls.Length) return;
            var values = Array.CreateInstance(ColumnKind.ElementType(Kind), capacity);
            Array.Copy(Values, values, Nulls.Length);
            var nulls = new bool[capacity];
            Array.Copy(Nulls, nulls, Nulls.Length);
            Values = values;
            Nulls = nulls;
        }
    }
}
