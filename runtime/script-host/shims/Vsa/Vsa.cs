// Microsoft.Vsa stand-in: what a SQL Server 2005 (VSA) script assembly declares and calls: the
// VsaModule assembly attribute and IVsaSite, through which its generated start-up code fetches
// the `Dts` global. The host passes its own site.
using System;

[assembly: System.Reflection.AssemblyVersion("8.0.0.0")]

namespace Microsoft.Vsa
{
    [AttributeUsage(AttributeTargets.Assembly)]
    public sealed class VsaModule : Attribute
    {
        public VsaModule(bool bIsVsaModule) { IsVsaModule = bIsVsaModule; }
        public bool IsVsaModule { get; set; }
    }

    public interface IVsaSite
    {
        object GetGlobalInstance(string name);
    }
}
