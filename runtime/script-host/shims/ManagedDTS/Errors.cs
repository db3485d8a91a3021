// Microsoft.SqlServer.ManagedDTS stand-in: the exceptions and HRESULTs a script meets. The
// message texts are SSIS's own (its HResults reference).
using System;

namespace Microsoft.SqlServer.Dts.Runtime
{
    public class DtsException : Exception
    {
        int code;
        public DtsException(string message) : base(message) { }
        public DtsException(int errorCode, string message) : base(message) { code = errorCode; HResult = errorCode; }
        public int ErrorCode { get { return code; } }
    }

    public class DtsRuntimeException : DtsException
    {
        public DtsRuntimeException(string message) : base(message) { }
        public DtsRuntimeException(int errorCode, string message) : base(errorCode, message) { }
    }

    public static class HResults
    {
        public const int DTS_E_VARIABLEREADONLY = unchecked((int)0xC0010003);
        public const int DTS_E_ELEMENTNOTFOUND = unchecked((int)0xC0010009);
        public const int DTS_E_VARIABLENOTFOUND = unchecked((int)0xC0010001);
        public const int DTS_E_RUNTIMEVARIABLETYPECHANGE = unchecked((int)0xC001F009);
    }

    static class Errors
    {
        public static DtsRuntimeException ElementNotFound(object index)
        {
            return new DtsRuntimeException(HResults.DTS_E_ELEMENTNOTFOUND,
                "The element cannot be found in a collection. This error happens when you try to retrieve an element from a collection on a container during execution of the package and the element is not there. (The element asked for: \"" + index + "\".)");
        }

        public static DtsRuntimeException ReadOnly(string qualifiedName)
        {
            return new DtsRuntimeException(HResults.DTS_E_VARIABLEREADONLY,
                "Error trying to write to a read-only variable, \"" + qualifiedName + "\".");
        }

        public static DtsRuntimeException TypeChange(string qualifiedName, TypeCode declared, object value)
        {
            string given = value == null ? "null" : value.GetType().FullName;
            return new DtsRuntimeException(HResults.DTS_E_RUNTIMEVARIABLETYPECHANGE,
                "The type of the value being assigned to variable \"" + qualifiedName + "\" differs from the current variable type. Variables may not change type during execution. Variable types are strict, except for variables of type Object. (The variable is " + declared + "; the value is " + given + ".)");
        }
    }
}
