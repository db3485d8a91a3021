// Microsoft.SqlServer.DTSPipelineWrap stand-in: the component's metadata as a script sees it
// (IDTSComponentMetaData100, and the 2005 IDTSComponentMetaData90): its name and the Fire*
// methods, whose events go to the run through the host's channel, as the component's own
// events. It owns nothing else of the pipeline's metadata.
using System;
using Ssisd.ScriptHost.Bridge;

[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]
[assembly: System.Reflection.AssemblyTitle("Microsoft.SqlServer.DTSPipelineWrap stand-in of ssisd's script host")]

namespace Microsoft.SqlServer.Dts.Pipeline.Wrapper
{
    public interface IDTSComponentMetaData100
    {
        string Name { get; set; }
        string Description { get; set; }
        int ID { get; }
        void FireInformation(int InformationCode, string SubComponent, string Description, string HelpFile, int HelpContext, ref bool pbFireAgain);
        void FireWarning(int WarningCode, string SubComponent, string Description, string HelpFile, int HelpContext);
        void FireError(int ErrorCode, string SubComponent, string Description, string HelpFile, int HelpContext, out bool pbCancel);
        void FireProgress(string ProgressDescription, int PercentComplete, int ProgressCountLow, int ProgressCountHigh, string SubComponent, ref bool pbFireAgain);
        void FireCustomEvent(string EventName, string EventText, ref object[] ppsaArguments, string SubComponent, ref bool pbFireAgain);
    }

    public interface IDTSComponentMetaData90
    {
        string Name { get; set; }
        string Description { get; set; }
        int ID { get; }
        void FireInformation(int InformationCode, string SubComponent, string Description, string HelpFile, int HelpContext, ref bool pbFireAgain);
        void FireWarning(int WarningCode, string SubComponent, string Description, string HelpFile, int HelpContext);
        void FireError(int ErrorCode, string SubComponent, string Description, string HelpFile, int HelpContext, out bool pbCancel);
        void FireProgress(string ProgressDescription, int PercentComplete, int ProgressCountLow, int ProgressCountHigh, string SubComponent, ref bool pbFireAgain);
        void FireCustomEvent(string EventName, string EventText, ref object[] ppsaArguments, string SubComponent, ref bool pbFireAgain);
    }

    /// SQL Server 2016's additions.
    public interface IDTSComponentMetaData130 : IDTSComponentMetaData100
    {
        string GetIdentificationStringByID(int lID);
        string GetErrorDescription(int hrError);
    }

    /// The one component this process runs.
    public sealed class ComponentMetaData : IDTSComponentMetaData130, IDTSComponentMetaData90
    {
        readonly System.Collections.Generic.IDictionary<int, string> identifications;

        public ComponentMetaData(string name, int id)
            : this(name, id, new System.Collections.Generic.Dictionary<int, string>())
        {
        }

        public ComponentMetaData(string name, int id, System.Collections.Generic.IDictionary<int, string> identifications)
        {
            Name = name;
            ID = id;
            Description = "";
            this.identifications = identifications;
        }

        /// The identification string (`Component.Outputs[Output].Columns[Column]`) of the
        /// column with lineage `lID` among the columns the component's buffers carry.
        public string GetIdentificationStringByID(int lID)
        {
            string s;
            if (identifications.TryGetValue(lID, out s)) return s;
            throw new ArgumentException("No column with the lineage ID " + lID + " reaches component \"" + Name + "\".");
        }

        /// SSIS's message table is not part of ssisd's host.
        public string GetErrorDescription(int hrError)
        {
            throw new NotSupportedException("GetErrorDescription(0x" + hrError.ToString("X8") + "): SSIS's error message table is not available in ssisd's script host.");
        }

        public string Name { get; set; }
        public string Description { get; set; }
        public int ID { get; private set; }

        static IHostChannel Channel { get { return Host.Channel; } }

        public void FireInformation(int InformationCode, string SubComponent, string Description, string HelpFile, int HelpContext, ref bool pbFireAgain)
        {
            if (Channel != null) Channel.Information(InformationCode, SubComponent, Description);
        }

        public void FireWarning(int WarningCode, string SubComponent, string Description, string HelpFile, int HelpContext)
        {
            if (Channel != null) Channel.Warning(WarningCode, SubComponent, Description);
        }

        public void FireError(int ErrorCode, string SubComponent, string Description, string HelpFile, int HelpContext, out bool pbCancel)
        {
            pbCancel = false;
            if (Channel != null) Channel.Error(ErrorCode, SubComponent, Description);
        }

        public void FireProgress(string ProgressDescription, int PercentComplete, int ProgressCountLow, int ProgressCountHigh, string SubComponent, ref bool pbFireAgain)
        {
            if (Channel != null) Channel.Progress(ProgressDescription, PercentComplete, SubComponent);
        }

        public void FireCustomEvent(string EventName, string EventText, ref object[] ppsaArguments, string SubComponent, ref bool pbFireAgain)
        {
            if (Channel != null) Channel.Custom(EventName, EventText, SubComponent);
        }
    }
}
