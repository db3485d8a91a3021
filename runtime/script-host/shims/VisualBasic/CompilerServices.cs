// Microsoft.VisualBasic stand-in, part 1: the compiler helpers that vbc-compiled script assemblies
// call (Conversions, Operators.CompareString, ProjectData) and the attributes and host hooks
// of the `My` template. Debian's Mono ships no Microsoft.VisualBasic runtime; this is the subset
// the corpus binaries reference (listed with monodis) plus the conversions and comparison vbc
// emits for the commonest statements (CInt, CStr, CDbl, CBool, CDate, CDec, CLng, string `=`).
// Semantics follow the Visual Basic language reference: banker's rounding for CInt/CLng, True
// as -1, Nothing as "" and 0, text comparison ignoring case in the current culture.
using System;
using System.Globalization;

[assembly: System.Reflection.AssemblyVersion("10.0.0.0")]

namespace Microsoft.VisualBasic.CompilerServices
{
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class StandardModuleAttribute : Attribute
    {
    }

    public interface IVbHost
    {
        System.Windows.Forms.IWin32Window GetParentWindow();
        string GetWindowTitle();
    }

    public sealed class HostServices
    {
        public HostServices() { }
        public static IVbHost VBHost { get; set; }
    }

    public sealed class ProjectData
    {
        [ThreadStatic] static Exception last;

        /// The exception `Err` describes now (set when a Catch block is entered).
        public static Exception LastError { get { return last; } }

        public static void SetProjectError(Exception ex) { last = ex; }
        public static void SetProjectError(Exception ex, int lErl) { last = ex; }
        public static void ClearProjectError() { last = null; }
        public static Exception CreateProjectError(int hr) { return new Exception("Visual Basic run-time error " + hr + "."); }
    }

    public sealed class Operators
    {
        /// String comparison of `=`, `<>`, `<`, … : Nothing is "", Option Compare Text ignores
        /// case in the current culture, Binary compares code units.
        public static int CompareString(string Left, string Right, bool TextCompare)
        {
            string l = Left ?? "";
            string r = Right ?? "";
            int c = TextCompare
                ? string.Compare(l, r, CultureInfo.CurrentCulture, CompareOptions.IgnoreCase | CompareOptions.IgnoreKanaType | CompareOptions.IgnoreWidth)
                : string.CompareOrdinal(l, r);
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
    }

    public sealed class Conversions
    {
        static bool IsHexOrOctal(string s, out long value)
        {
            value = 0;
            string t = s.Trim();
            if (t.Length > 2 && t[0] == '&')
            {
                char k = char.ToUpperInvariant(t[1]);
                string digits = t.Substring(2);
                try
                {
                    if (k == 'H') { value = Convert.ToInt64(digits, 16); return true; }
                    if (k == 'O') { value = Convert.ToInt64(digits, 8); return true; }
                }
                catch (FormatException) { }
            }
            return false;
        }

        static InvalidCastException Cast(string from, string to)
        {
            return new InvalidCastException("Conversion from " + from + " to type '" + to + "' is not valid.");
        }

        public static double ToDouble(string Value)
        {
            if (Value == null) return 0;
            long hex;
            if (IsHexOrOctal(Value, out hex)) return hex;
            double d;
            if (double.TryParse(Value, NumberStyles.Any, CultureInfo.CurrentCulture, out d)) return d;
            throw Cast("string \"" + Value + "\"", "Double");
        }

        public static double ToDouble(object Value)
        {
            if (Value == null) return 0;
            var s = Value as string;
            if (s != null) return ToDouble(s);
            if (Value is bool) return (bool)Value ? -1 : 0;
            return Convert.ToDouble(Value, CultureInfo.CurrentCulture);
        }

        public static int ToInteger(string Value)
        {
            if (Value == null) return 0;
            long hex;
            if (IsHexOrOctal(Value, out hex)) return checked((int)hex);
            return checked((int)Math.Round(ToDouble(Value), MidpointRounding.ToEven));
        }

        public static int ToInteger(object Value)
        {
            if (Value == null) return 0;
            var s = Value as string;
            if (s != null) return ToInteger(s);
            if (Value is bool) return (bool)Value ? -1 : 0;
            return Convert.ToInt32(Value, CultureInfo.CurrentCulture);
        }

        public static long ToLong(string Value)
        {
            if (Value == null) return 0;
            long hex;
            if (IsHexOrOctal(Value, out hex)) return hex;
            return checked((long)Math.Round(ToDecimal(Value), MidpointRounding.ToEven));
        }

        public static long ToLong(object Value)
        {
            if (Value == null) return 0;
            var s = Value as string;
            if (s != null) return ToLong(s);
            if (Value is bool) return (bool)Value ? -1 : 0;
            return Convert.ToInt64(Value, CultureInfo.CurrentCulture);
        }

        public static decimal ToDecimal(string Value)
        {
            if (Value == null) return 0;
            long hex;
            if (IsHexOrOctal(Value, out hex)) return hex;
            decimal d;
            if (decimal.TryParse(Value, NumberStyles.Any, CultureInfo.CurrentCulture, out d)) return d;
            throw Cast("string \"" + Value + "\"", "Decimal");
        }

        public static decimal ToDecimal(object Value)
        {
            if (Value == null) return 0;
            var s = Value as string;
            if (s != null) return ToDecimal(s);
            if (Value is bool) return (bool)Value ? -1 : 0;
            return Convert.ToDecimal(Value, CultureInfo.CurrentCulture);
        }

        public static bool ToBoolean(string Value)
        {
            if (Value == null) return false;
            string t = Value.Trim();
            if (string.Equals(t, "True", StringComparison.OrdinalIgnoreCase)) return true;
            if (string.Equals(t, "False", StringComparison.OrdinalIgnoreCase)) return false;
            double d;
            if (double.TryParse(t, NumberStyles.Any, CultureInfo.CurrentCulture, out d)) return d != 0;
            throw Cast("string \"" + Value + "\"", "Boolean");
        }

        public static bool ToBoolean(object Value)
        {
            if (Value == null) return false;
            var s = Value as string;
            if (s != null) return ToBoolean(s);
            if (Value is bool) return (bool)Value;
            return Convert.ToDouble(Value, CultureInfo.CurrentCulture) != 0;
        }

        public static DateTime ToDate(string Value)
        {
            if (Value == null) return default(DateTime);
            DateTime d;
            if (DateTime.TryParse(Value, CultureInfo.CurrentCulture, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.NoCurrentDateDefault, out d)) return d;
            throw Cast("string \"" + Value + "\"", "Date");
        }

        public static DateTime ToDate(object Value)
        {
            if (Value == null) return default(DateTime);
            var s = Value as string;
            if (s != null) return ToDate(s);
            if (Value is DateTime) return (DateTime)Value;
            throw Cast("type '" + Value.GetType().Name + "'", "Date");
        }

        public static string ToString(bool Value) { return Value ? "True" : "False"; }
        public static string ToString(int Value) { return Value.ToString(CultureInfo.CurrentCulture); }
        public static string ToString(long Value) { return Value.ToString(CultureInfo.CurrentCulture); }
        public static string ToString(double Value) { return Value.ToString("R", CultureInfo.CurrentCulture); }
        public static string ToString(decimal Value) { return Value.ToString("G", CultureInfo.CurrentCulture); }

        /// VB's date text: the short date, then the long time unless it is midnight; a date of
        /// 1/1/0001 shows the time only.
        public static string ToString(DateTime Value)
        {
            var c = CultureInfo.CurrentCulture.DateTimeFormat;
            if (Value.TimeOfDay.Ticks == 0) return Value.ToString(c.ShortDatePattern, CultureInfo.CurrentCulture);
            if (Value.Date == DateTime.MinValue.Date) return Value.ToString(c.LongTimePattern, CultureInfo.CurrentCulture);
            return Value.ToString(c.ShortDatePattern + " " + c.LongTimePattern, CultureInfo.CurrentCulture);
        }

        public static string ToString(object Value)
        {
            if (Value == null) return "";
            var s = Value as string;
            if (s != null) return s;
            if (Value is bool) return ToString((bool)Value);
            if (Value is double) return ToString((double)Value);
            if (Value is float) return ((float)Value).ToString("R", CultureInfo.CurrentCulture);
            if (Value is decimal) return ToString((decimal)Value);
            if (Value is DateTime) return ToString((DateTime)Value);
            if (Value is char) return Value.ToString();
            var c = Value as IConvertible;
            if (c != null) return c.ToString(CultureInfo.CurrentCulture);
            throw Cast("type '" + Value.GetType().Name + "'", "String");
        }
    }
}
