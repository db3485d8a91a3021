// Ssisd.ScriptHost.Bridge: the one place where the stand-in SSIS assemblies meet the script
// host. The host fills in the task's variables and connections and implements IHostChannel;
// the stand-ins (ManagedDTS, ScriptTask, Windows Forms, Visual Basic) read that state and
// report through the channel. It knows nothing of the wire protocol nor of the SSIS types.
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
}
