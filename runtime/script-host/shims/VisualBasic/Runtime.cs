// Microsoft.VisualBasic stand-in, part 2: the library functions and `My` classes the corpus
// binaries reference: Strings (Left, Right, Len, Trim, InStrRev, Format, and their everyday
// neighbours Mid, InStr, Replace, UCase, LCase), Interaction.MsgBox (logged, never waiting:
// the run is unattended), the `My` template's bases (ApplicationBase, User, Computer,
// ServerComputer with FileSystem.OpenTextFileWriter) and ContextValue.
using System;
using System.Globalization;
using System.IO;
using System.Text;
using Ssisd.ScriptHost.Bridge;

namespace Microsoft.VisualBasic
{
    public enum CompareMethod { Binary = 0, Text = 1 }

    [Flags]
    public enum MsgBoxStyle
    {
        OkOnly = 0, OkCancel = 1, AbortRetryIgnore = 2, YesNoCancel = 3, YesNo = 4, RetryCancel = 5,
        Critical = 16, Question = 32, Exclamation = 48, Information = 64,
        DefaultButton1 = 0, DefaultButton2 = 256, DefaultButton3 = 512,
        ApplicationModal = 0, SystemModal = 4096, MsgBoxHelp = 16384,
        MsgBoxSetForeground = 65536, MsgBoxRight = 524288, MsgBoxRtlReading = 1048576,
    }

    public enum MsgBoxResult { Ok = 1, Cancel = 2, Abort = 3, Retry = 4, Ignore = 5, Yes = 6, No = 7 }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class HideModuleNameAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class MyGroupCollectionAttribute : Attribute
    {
        public MyGroupCollectionAttribute(string typeToCollect, string createInstanceMethodName, string disposeInstanceMethodName, string defaultInstanceAlias)
        {
            MyGroupName = typeToCollect;
            CreateMethod = createInstanceMethodName;
            DisposeMethod = disposeInstanceMethodName;
            DefaultInstanceAlias = defaultInstanceAlias;
        }
        public string MyGroupName { get; private set; }
        public string CreateMethod { get; private set; }
        public string DisposeMethod { get; private set; }
        public string DefaultInstanceAlias { get; private set; }
    }

    public sealed class Strings
    {
        static StringComparison Comparison(CompareMethod c)
        {
            return c == CompareMethod.Text ? StringComparison.CurrentCultureIgnoreCase : StringComparison.Ordinal;
        }

        public static int Len(string Expression) { return Expression == null ? 0 : Expression.Length; }

        public static string Left(string str, int Length)
        {
            if (Length < 0) throw new ArgumentException("Argument 'Length' must be greater or equal to zero.", "Length");
            if (str == null || Length == 0) return "";
            return Length >= str.Length ? str : str.Substring(0, Length);
        }

        public static string Right(string str, int Length)
        {
            if (Length < 0) throw new ArgumentException("Argument 'Length' must be greater or equal to zero.", "Length");
            if (str == null || Length == 0) return "";
            return Length >= str.Length ? str : str.Substring(str.Length - Length);
        }

        public static string Mid(string str, int Start)
        {
            if (Start <= 0) throw new ArgumentException("Argument 'Start' must be greater than zero.", "Start");
            if (str == null || Start > str.Length) return "";
            return str.Substring(Start - 1);
        }

        public static string Mid(string str, int Start, int Length)
        {
            if (Start <= 0) throw new ArgumentException("Argument 'Start' must be greater than zero.", "Start");
            if (Length < 0) throw new ArgumentException("Argument 'Length' must be greater or equal to zero.", "Length");
            if (str == null || Start > str.Length) return "";
            return str.Substring(Start - 1, Math.Min(Length, str.Length - Start + 1));
        }

        static readonly char[] Spaces = { ' ', '\u3000' };
        public static string Trim(string str) { return str == null ? "" : str.Trim(Spaces); }
        public static string LTrim(string str) { return str == null ? "" : str.TrimStart(Spaces); }
        public static string RTrim(string str) { return str == null ? "" : str.TrimEnd(Spaces); }
        public static string UCase(string Value) { return Value == null ? "" : Value.ToUpper(CultureInfo.CurrentCulture); }
        public static string LCase(string Value) { return Value == null ? "" : Value.ToLower(CultureInfo.CurrentCulture); }

        public static int InStr(string String1, string String2, CompareMethod Compare = CompareMethod.Binary)
        {
            return InStr(1, String1, String2, Compare);
        }

        public static int InStr(int Start, string String1, string String2, CompareMethod Compare = CompareMethod.Binary)
        {
            if (Start < 1) throw new ArgumentException("Argument 'Start' must be greater than zero.", "Start");
            string s = String1 ?? "";
            if (Start > s.Length) return 0;
            if (String2 == null || String2.Length == 0) return Start;
            return s.IndexOf(String2, Start - 1, Comparison(Compare)) + 1;
        }

        /// The 1-based position of the last `StringMatch` in `StringCheck` at or before
        /// `Start` (-1: the end), 0 when there is none.
        public static int InStrRev(string StringCheck, string StringMatch, int Start = -1, CompareMethod Compare = CompareMethod.Binary)
        {
            if (Start == 0 || Start < -1) throw new ArgumentException("Argument 'Start' must be greater than zero or equal to -1.", "Start");
            int len = StringCheck == null ? 0 : StringCheck.Length;
            if (Start == -1) Start = len;
            if (Start > len || len == 0) return 0;
            if (StringMatch == null || StringMatch.Length == 0) return Start;
            int from = Start - 1;
            return StringCheck.LastIndexOf(StringMatch, from, from + 1, Comparison(Compare)) + 1;
        }

        public static string Replace(string Expression, string Find, string Replacement, int Start = 1, int Count = -1, CompareMethod Compare = CompareMethod.Binary)
        {
            if (Expression == null || Start > Expression.Length) return Expression == null ? null : "";
            string s = Expression.Substring(Start - 1);
            if (string.IsNullOrEmpty(Find) || Count == 0) return s;
            var sb = new StringBuilder();
            int at = 0, done = 0;
            var cmp = Comparison(Compare);
            while (Count < 0 || done < Count)
            {
                int i = s.IndexOf(Find, at, cmp);
                if (i < 0) break;
                sb.Append(s, at, i - at).Append(Replacement ?? "");
                at = i + Find.Length;
                done++;
            }
            sb.Append(s, at, s.Length - at);
            return sb.ToString();
        }

        /// Formats with a .NET format string or one of VB's named formats.
        public static string Format(object Expression, string Style = "")
        {
            if (Expression == null) return "";
            var culture = CultureInfo.CurrentCulture;
            string style = Style ?? "";
            switch (style.ToLowerInvariant())
            {
                case "": return Microsoft.VisualBasic.CompilerServices.Conversions.ToString(Expression);
                case "general number": style = "G"; break;
                case "currency": style = "C"; break;
                case "fixed": style = "F2"; break;
                case "standard": style = "N2"; break;
                case "percent": style = "P2"; break;
                case "scientific": style = "0.00E+00"; break;
                case "yes/no": return Microsoft.VisualBasic.CompilerServices.Conversions.ToDouble(Expression) != 0 ? "Yes" : "No";
                case "true/false": return Microsoft.VisualBasic.CompilerServices.Conversions.ToDouble(Expression) != 0 ? "True" : "False";
                case "on/off": return Microsoft.VisualBasic.CompilerServices.Conversions.ToDouble(Expression) != 0 ? "On" : "Off";
                case "general date": style = "G"; break;
                case "long date": style = "D"; break;
                case "medium date": style = "dd-MMM-yy"; break;
                case "short date": style = "d"; break;
                case "long time": style = "T"; break;
                case "medium time": style = "hh:mm tt"; break;
                case "short time": style = "HH:mm"; break;
            }
            var f = Expression as IFormattable;
            return f != null ? f.ToString(style, culture) : Expression.ToString();
        }
    }

    public sealed class Interaction
    {
        /// An unattended run shows no dialog: the prompt is logged and the default button is
        /// the answer.
        public static MsgBoxResult MsgBox(object Prompt, MsgBoxStyle Buttons = MsgBoxStyle.OkOnly, object Title = null)
        {
            int set = (int)Buttons & 7;
            int which = ((int)Buttons & 0x300) / 256;
            MsgBoxResult[][] choices =
            {
                new[] { MsgBoxResult.Ok },
                new[] { MsgBoxResult.Ok, MsgBoxResult.Cancel },
                new[] { MsgBoxResult.Abort, MsgBoxResult.Retry, MsgBoxResult.Ignore },
                new[] { MsgBoxResult.Yes, MsgBoxResult.No, MsgBoxResult.Cancel },
                new[] { MsgBoxResult.Yes, MsgBoxResult.No },
                new[] { MsgBoxResult.Retry, MsgBoxResult.Cancel },
            };
            var options = set < choices.Length ? choices[set] : choices[0];
            var answer = options[which < options.Length ? which : 0];
            string text = Microsoft.VisualBasic.CompilerServices.Conversions.ToString(Prompt);
            string title = Title == null ? "" : Microsoft.VisualBasic.CompilerServices.Conversions.ToString(Title);
            if (Host.Channel != null) Host.Channel.MessageBox(text, title, answer.ToString());
            return answer;
        }
    }
}

namespace Microsoft.VisualBasic.ApplicationServices
{
    public class ApplicationBase
    {
        public ApplicationBase() { }
    }

    public class User
    {
        public User() { }
        public string Name { get { return Environment.UserName; } }
    }
}

namespace Microsoft.VisualBasic.MyServices
{
    public class FileSystemProxy
    {
        internal FileSystemProxy() { }

        public StreamWriter OpenTextFileWriter(string file, bool append)
        {
            return new StreamWriter(file, append, new UTF8Encoding(false));
        }

        public StreamWriter OpenTextFileWriter(string file, bool append, Encoding encoding)
        {
            return new StreamWriter(file, append, encoding);
        }
    }
}

namespace Microsoft.VisualBasic.MyServices.Internal
{
    public class ContextValue<T>
    {
        [ThreadStatic] static System.Collections.Generic.Dictionary<object, object> values;

        public ContextValue() { }

        public T Value
        {
            get
            {
                object v;
                return values != null && values.TryGetValue(this, out v) ? (T)v : default(T);
            }
            set
            {
                if (values == null) values = new System.Collections.Generic.Dictionary<object, object>();
                values[this] = value;
            }
        }
    }
}

namespace Microsoft.VisualBasic.Devices
{
    public class ServerComputer
    {
        readonly Microsoft.VisualBasic.MyServices.FileSystemProxy fileSystem = new Microsoft.VisualBasic.MyServices.FileSystemProxy();
        public ServerComputer() { }
        public string Name { get { return Environment.MachineName; } }
        public Microsoft.VisualBasic.MyServices.FileSystemProxy FileSystem { get { return fileSystem; } }
    }

    public class Computer : ServerComputer
    {
        public Computer() { }
    }
}
