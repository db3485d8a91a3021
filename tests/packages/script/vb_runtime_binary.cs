// The precompiled assembly stored in vb_runtime.dtsx. Debian's Mono has no Visual Basic
// compiler, so this is a C# rendering of that package's ScriptMain.vb that makes the same
// runtime calls vbc emits for it (Conversions.ToString/ToInteger/ToDouble, Operators.
// CompareString for string `=`, ProjectData around Catch, Strings.*, Interaction.MsgBox), built
// against the script host's stand-ins:
//   mcs -target:library -out:vb_runtime_binary.dll -r:<host>/Microsoft.SqlServer.ManagedDTS.dll
//       -r:<host>/Microsoft.SqlServer.ScriptTask.dll -r:<host>/Microsoft.VisualBasic.dll vb_runtime_binary.cs
using System;
using Microsoft.SqlServer.Dts.Runtime;
using Microsoft.VisualBasic;
using Microsoft.VisualBasic.CompilerServices;

namespace ST_66666666000040008000000000000502
{
    [Microsoft.SqlServer.Dts.Tasks.ScriptTask.SSISScriptTaskEntryPointAttribute]
    public class ScriptMain : Microsoft.SqlServer.Dts.Tasks.ScriptTask.VSTARTScriptObjectModelBase
    {
        public void Main()
        {
            string path = Conversions.ToString(Dts.Variables["User::Path"].Value);
            int slash = Strings.InStrRev(path, "/", -1, CompareMethod.Binary);
            string file = Strings.Trim(Strings.Right(path, Strings.Len(path) - slash));
            string stem = Strings.Left(file, Strings.InStrRev(file, ".", -1, CompareMethod.Binary) - 1);
            int count = Conversions.ToInteger(Dts.Variables["User::Count"].Value);
            double ratio = Conversions.ToDouble("2.5");
            Dts.Variables["User::Stem"].Value = stem;
            Dts.Variables["User::Scaled"].Value = Conversions.ToInteger(count * ratio);
            if (Operators.CompareString(Strings.UCase(stem), "REPORT", false) == 0)
            {
                Dts.Variables["User::Verdict"].Value = "same";
            }
            else
            {
                Dts.Variables["User::Verdict"].Value = "different";
            }
            try
            {
                Dts.Variables["User::Count"].Value = 0;
            }
            catch (Exception ex)
            {
                ProjectData.SetProjectError(ex);
                Dts.Events.FireInformation(1, "VB", "refused: " + Strings.Left(ex.Message, 30), "", 0, ref fire);
                ProjectData.ClearProjectError();
            }
            Interaction.MsgBox("done with " + stem, MsgBoxStyle.OkOnly, "VB");
            Dts.TaskResult = 0;
        }

        bool fire = true;
    }
}
