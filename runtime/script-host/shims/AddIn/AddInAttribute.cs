// System.AddIn stand-in: the AddInAttribute that SQL Server 2008 script classes carry (Debian's
// Mono has no System.AddIn). Only the attribute: scripts never use the add-in pipeline.
using System;

[assembly: System.Reflection.AssemblyVersion("3.5.0.0")]

namespace System.AddIn
{
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
    public sealed class AddInAttribute : Attribute
    {
        public AddInAttribute(string name) { Name = name; }
        public string Name { get; private set; }
        public string Version { get; set; }
        public string Publisher { get; set; }
        public string Description { get; set; }
    }
}
