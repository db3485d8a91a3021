// Which assembly a script's reference resolves to: the SSIS object model, Visual Basic runtime,
// Windows Forms, add-in and VSA/VSTA assemblies that scripts reference are answered, whatever
// version and public key the reference names (9.0.242.0 to 16.0.0.0 for SSIS), with the
// stand-ins beside this host. Windows Forms is loaded first, so that its message box is the
// one a script gets even where Mono's own Windows Forms is installed.
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace Ssisd.ScriptHost
{
    static class Resolver
    {
        static readonly HashSet<string> StandIns = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "Microsoft.SqlServer.ManagedDTS",
            "Microsoft.SqlServer.ScriptTask",
            "Microsoft.SqlServer.VSTAScriptTaskPrx",
            "Microsoft.SqlServer.PipelineHost",
            "Microsoft.SqlServer.DTSPipelineWrap",
            "Microsoft.SqlServer.DTSRuntimeWrap",
            "Microsoft.SqlServer.TxScript",
            "Microsoft.VisualStudio.Tools.Applications.Runtime.v9.0",
            "Microsoft.Vsa",
            "Microsoft.VisualBasic",
            "System.AddIn",
            "System.Windows.Forms",
            "Ssisd.ScriptHost.Bridge",
        };

        static readonly Dictionary<string, Assembly> Loaded = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);

        static string Directory
        {
            get { return AppDomain.CurrentDomain.BaseDirectory; }
        }

        public static Assembly Load(string simpleName)
        {
            lock (Loaded)
            {
                Assembly a;
                if (Loaded.TryGetValue(simpleName, out a)) return a;
                string path = Path.Combine(Directory, simpleName + ".dll");
                if (!File.Exists(path)) return null;
                a = Assembly.LoadFrom(path);
                Loaded[simpleName] = a;
                return a;
            }
        }

        public static void Install()
        {
            AppDomain.CurrentDomain.AssemblyResolve += (sender, e) =>
            {
                string name = new AssemblyName(e.Name).Name;
                return StandIns.Contains(name) ? Load(name) : null;
            };
            Load("System.Windows.Forms");
        }
    }
}
