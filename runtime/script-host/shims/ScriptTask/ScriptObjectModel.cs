// Microsoft.SqlServer.ScriptTask stand-in: the `Dts` object of a Script Task (ScriptObjectModel),
// its event wrapper, the base class of ScriptMain and the entry-point attribute. One
// ScriptObjectModel exists per process (the host runs one task); the host reads TaskResult and
// ExecutionValue from it after Main returns.
using System;
using Microsoft.SqlServer.Dts.Runtime;
using Ssisd.ScriptHost.Bridge;

[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]

namespace Microsoft.SqlServer.Dts.Tasks.ScriptTask
{
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class SSISScriptTaskEntryPointAttribute : Attribute
    {
    }

    public class EventsObjectWrapper : IDTSComponentEvents
    {
        static IHostChannel Channel
        {
            get
            {
                if (Host.Channel == null) throw new InvalidOperationException("the script host has no channel to the run");
                return Host.Channel;
            }
        }

        public bool FireError(int errorCode, string subComponent, string description, string helpFile, int helpContext)
        {
            Channel.Error(errorCode, subComponent, description);
            return false;
        }

        public void FireWarning(int warningCode, string subComponent, string description, string helpFile, int helpContext)
        {
            Channel.Warning(warningCode, subComponent, description);
        }

        public void FireInformation(int informationCode, string subComponent, string description, string helpFile, int helpContext, ref bool fireAgain)
        {
            Channel.Information(informationCode, subComponent, description);
        }

        public void FireProgress(string progressDescription, int percentComplete, int progressCountLow, int progressCountHigh, string subComponent, ref bool fireAgain)
        {
            Channel.Progress(progressDescription, percentComplete, subComponent);
        }

        public void FireCustomEvent(string eventName, string eventText, ref object[] arguments, string subComponent, ref bool fireAgain)
        {
            Channel.Custom(eventName, eventText, subComponent);
        }

        /// The run's cancellation stops this process from outside, so a script asking is
        /// always told to go on.
        public bool FireQueryCancel() { return false; }
    }

    public class ScriptObjectModel
    {
        static ScriptObjectModel current;

        /// The model of the task this process runs.
        public static ScriptObjectModel Current
        {
            get
            {
                if (current == null) current = new ScriptObjectModel();
                return current;
            }
        }

        readonly Variables variables;
        readonly VariableDispenser dispenser = new VariableDispenser();
        readonly EventsObjectWrapper events = new EventsObjectWrapper();
        readonly Connections connections;

        ScriptObjectModel()
        {
            variables = ScriptVariables.Listed();
            connections = Connections.OfPackage();
        }

        /// SQL Server 2005's names for the results (`Dts.Results.Success`).
        public enum Results
        {
            Success = 0,
            Failure = 1,
        }

        public int TaskResult { get; set; }
        public object ExecutionValue { get; set; }
        public Variables Variables { get { return variables; } }
        public VariableDispenser VariableDispenser { get { return dispenser; } }
        public EventsObjectWrapper Events { get { return events; } }
        public Connections Connections { get { return connections; } }
        /// The container's transaction: distributed transactions do not reach scripts here.
        public object Transaction { get { return null; } }

        /// Writes an entry to the run's log (`ScriptTaskLogEntry`) without raising an event.
        public void Log(string messageText, int dataCode, byte[] dataBytes)
        {
            if (Host.Channel != null) Host.Channel.Log(messageText ?? "", dataCode, dataBytes == null ? 0 : dataBytes.Length);
        }
    }

    public class VSTARTScriptObjectModelBase
    {
        public VSTARTScriptObjectModelBase() { }

        public ScriptObjectModel Dts { get { return ScriptObjectModel.Current; } }
    }
}
