// Finding and calling a script's entry point, per generation of the script host:
// 2012+ (a class marked SSISScriptTaskEntryPointAttribute), 2008 (ScriptMain deriving from
// VSTARTScriptObjectModelBase, or the "VSTAScript" proxy base whose FinishInitialization and
// OnShutdown frame Main), 2005 VSA (ScriptMain with no base; its generated _Startup class is
// handed a site that gives out the `Dts` global).
using System;
using System.Linq;
using System.Reflection;
using Microsoft.Vsa;
using TaskModel = Microsoft.SqlServer.Dts.Tasks.ScriptTask;
using ProxyModel = Microsoft.SqlServer.Dts.Tasks.ScriptTask.VSTAProxy;

namespace Ssisd.ScriptHost
{
    static class EntryPoint
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

        static Type[] Types(Assembly a)
        {
            try { return a.GetTypes(); }
            catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t != null).ToArray(); }
        }

        static bool Marked(Type t)
        {
            try
            {
                return t.GetCustomAttributesData().Any(a => a.AttributeType.Name == "SSISScriptTaskEntryPointAttribute");
            }
            catch (Exception) { return false; }
        }

        public static Type Find(Assembly script, string entryClass)
        {
            var types = Types(script);
            var marked = types.FirstOrDefault(Marked);
            if (marked != null) return marked;
            string name = string.IsNullOrEmpty(entryClass) ? "ScriptMain" : entryClass;
            var named = types.FirstOrDefault(t => t.Name == name && t.IsClass && !t.IsAbstract);
            if (named != null) return named;
            throw new MissingMemberException("The script assembly " + script.GetName().Name + " has no entry point: no class is marked SSISScriptTaskEntryPoint and none is named " + name + ".");
        }

        sealed class Site : IVsaSite
        {
            public object GetGlobalInstance(string name)
            {
                if (name == "Dts") return TaskModel.ScriptObjectModel.Current;
                throw new ArgumentException("the script host has no global named " + name);
            }
        }

        /// The 2005 start-up object, handed its site and started (it sets the `Dts` global),
        /// when the assembly has one.
        static object StartVsa(Assembly script)
        {
            var t = Types(script).FirstOrDefault(x => x.Name == "_Startup");
            if (t == null) return null;
            var setSite = t.GetMethod("SetSite", Instance, null, new[] { typeof(IVsaSite) }, null);
            if (setSite == null) return null;
            object startup = Activator.CreateInstance(t, true);
            setSite.Invoke(startup, new object[] { new Site() });
            var start = t.GetMethod("Startup", Instance, null, Type.EmptyTypes, null);
            if (start != null) start.Invoke(startup, null);
            return startup;
        }

        public static void Invoke(Assembly script, Type entry, string method)
        {
            object vsa = StartVsa(script);
            object instance = Activator.CreateInstance(entry, true);
            var proxy = instance as ProxyModel.VSTARTScriptObjectModelBaseEntryPoint;
            if (proxy != null) Call(instance, "FinishInitialization");
            string name = string.IsNullOrEmpty(method) ? "Main" : method;
            var main = entry.GetMethod(name, Instance, null, Type.EmptyTypes, null);
            if (main == null) throw new MissingMethodException("The script class " + entry.FullName + " has no method " + name + "() to run.");
            main.Invoke(instance, null);
            if (proxy != null) Call(instance, "OnShutdown");
            if (vsa != null)
            {
                var stop = vsa.GetType().GetMethod("Shutdown", Instance, null, Type.EmptyTypes, null);
                if (stop != null) stop.Invoke(vsa, null);
            }
        }

        static void Call(object instance, string name)
        {
            var m = typeof(ProxyModel.VSTARTScriptObjectModelBaseEntryPoint).GetMethod(name, Instance);
            m.Invoke(instance, null);
        }
    }
}
