// Microsoft.SqlServer.VSTAScriptTaskPrx stand-in: the SQL Server 2008 "VSTAScript" flavour of the
// object model (namespaces ...VSTAProxy), as thin views over the ManagedDTS and ScriptTask
// stand-ins, plus its entry-point base class whose FinishInitialization/OnShutdown the host
// calls around Main.
using System;
using System.Collections;
using Rt = Microsoft.SqlServer.Dts.Runtime;
using St = Microsoft.SqlServer.Dts.Tasks.ScriptTask;

[assembly: System.Reflection.AssemblyVersion("10.0.0.0")]

namespace Microsoft.SqlServer.Dts.Runtime.VSTAProxy
{
    public enum DTSExecResult
    {
        Success = 0,
        Failure = 1,
        Completion = 2,
        Canceled = 3,
    }

    public class DTSReadOnlyCollectionBase : IEnumerable
    {
        internal readonly ReadOnlyCollectionBase inner;
        internal DTSReadOnlyCollectionBase(ReadOnlyCollectionBase inner) { this.inner = inner; }
        public int Count { get { return inner.Count; } }
        public IEnumerator GetEnumerator() { return inner.GetEnumerator(); }
    }

    public class Variable
    {
        readonly Rt.Variable inner;
        internal Variable(Rt.Variable inner) { this.inner = inner; }
        public string Name { get { return inner.Name; } }
        public string Namespace { get { return inner.Namespace; } }
        public string QualifiedName { get { return inner.QualifiedName; } }
        public TypeCode DataType { get { return inner.DataType; } }
        public bool ReadOnly { get { return inner.ReadOnly; } }
        public object Value { get { return inner.Value; } set { inner.Value = value; } }
    }

    public class Variables : DTSReadOnlyCollectionBase
    {
        readonly Rt.Variables vars;
        internal Variables(Rt.Variables vars) : base(vars) { this.vars = vars; }
        public Variable this[object index] { get { return new Variable(vars[index]); } }
        public bool Contains(object index) { return vars.Contains(index); }
        public void Unlock() { vars.Unlock(); }
    }

    public class ConnectionManager
    {
        readonly Rt.ConnectionManager inner;
        internal ConnectionManager(Rt.ConnectionManager inner) { this.inner = inner; }
        public string Name { get { return inner.Name; } }
        public string ConnectionString { get { return inner.ConnectionString; } set { inner.ConnectionString = value; } }
        public object AcquireConnection(object txn) { return inner.AcquireConnection(txn); }
        public void ReleaseConnection(object c) { inner.ReleaseConnection(c); }
    }

    public class Connections : DTSReadOnlyCollectionBase
    {
        readonly Rt.Connections conns;
        internal Connections(Rt.Connections conns) : base(conns) { this.conns = conns; }
        public ConnectionManager this[object index] { get { return new ConnectionManager(conns[index]); } }
        public bool Contains(object index) { return conns.Contains(index); }
    }
}

namespace Microsoft.SqlServer.Dts.Tasks.ScriptTask.VSTAProxy
{
    using Microsoft.SqlServer.Dts.Runtime.VSTAProxy;

    public class EventsObjectWrapper
    {
        readonly St.EventsObjectWrapper inner;
        internal EventsObjectWrapper(St.EventsObjectWrapper inner) { this.inner = inner; }
        public bool FireError(int errorCode, string subComponent, string description, string helpFile, int helpContext) { return inner.FireError(errorCode, subComponent, description, helpFile, helpContext); }
        public void FireWarning(int warningCode, string subComponent, string description, string helpFile, int helpContext) { inner.FireWarning(warningCode, subComponent, description, helpFile, helpContext); }
        public void FireInformation(int informationCode, string subComponent, string description, string helpFile, int helpContext, ref bool fireAgain) { inner.FireInformation(informationCode, subComponent, description, helpFile, helpContext, ref fireAgain); }
        public void FireProgress(string progressDescription, int percentComplete, int progressCountLow, int progressCountHigh, string subComponent, ref bool fireAgain) { inner.FireProgress(progressDescription, percentComplete, progressCountLow, progressCountHigh, subComponent, ref fireAgain); }
        public void FireCustomEvent(string eventName, string eventText, ref object[] arguments, string subComponent, ref bool fireAgain) { inner.FireCustomEvent(eventName, eventText, ref arguments, subComponent, ref fireAgain); }
        public bool FireQueryCancel() { return inner.FireQueryCancel(); }
    }

    public class ScriptObjectModel
    {
        static ScriptObjectModel current;
        readonly St.ScriptObjectModel inner;
        readonly Variables variables;
        readonly Connections connections;
        readonly EventsObjectWrapper events;

        ScriptObjectModel(St.ScriptObjectModel inner)
        {
            this.inner = inner;
            variables = new Variables(inner.Variables);
            connections = new Connections(inner.Connections);
            events = new EventsObjectWrapper(inner.Events);
        }

        public static ScriptObjectModel Current
        {
            get
            {
                if (current == null) current = new ScriptObjectModel(St.ScriptObjectModel.Current);
                return current;
            }
        }

        public int TaskResult { get { return inner.TaskResult; } set { inner.TaskResult = value; } }
        public object ExecutionValue { get { return inner.ExecutionValue; } set { inner.ExecutionValue = value; } }
        public Variables Variables { get { return variables; } }
        public Connections Connections { get { return connections; } }
        public EventsObjectWrapper Events { get { return events; } }
        public object Transaction { get { return null; } }
        public void Log(string messageText, int dataCode, byte[] dataBytes) { inner.Log(messageText, dataCode, dataBytes); }
    }

    public class VSTARTScriptObjectModelBase
    {
        public ScriptObjectModel Dts { get { return ScriptObjectModel.Current; } }
    }

    public class VSTARTScriptObjectModelBaseEntryPoint
    {
        public VSTARTScriptObjectModelBaseEntryPoint() { }
        public ScriptObjectModel Dts { get { return ScriptObjectModel.Current; } }
        protected virtual void FinishInitialization() { }
        protected virtual void OnShutdown() { }
        protected virtual string PrimaryCookie { get { return "ScriptMain"; } }
    }
}
