// Microsoft.VisualStudio.Tools.Applications.Runtime.v9.0 stand-in: the marker interface the 2008
// "VSTAScript" ScriptMain declares. The host drives the entry point through its base class.
[assembly: System.Reflection.AssemblyVersion("9.0.0.0")]

namespace Microsoft.VisualStudio.Tools.Applications.Runtime
{
    public interface IEntryPoint
    {
    }
}
