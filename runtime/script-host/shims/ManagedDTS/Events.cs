// Microsoft.SqlServer.ManagedDTS stand-in: IDTSComponentEvents, the event methods a task's
// code raises. The script task's implementation is EventsObjectWrapper.
namespace Microsoft.SqlServer.Dts.Runtime
{
    public interface IDTSComponentEvents
    {
        bool FireError(int errorCode, string subComponent, string description, string helpFile, int helpContext);
        void FireWarning(int warningCode, string subComponent, string description, string helpFile, int helpContext);
        void FireInformation(int informationCode, string subComponent, string description, string helpFile, int helpContext, ref bool fireAgain);
        void FireProgress(string progressDescription, int percentComplete, int progressCountLow, int progressCountHigh, string subComponent, ref bool fireAgain);
        void FireCustomEvent(string eventName, string eventText, ref object[] arguments, string subComponent, ref bool fireAgain);
        bool FireQueryCancel();
    }
}
