// System.Windows.Forms stand-in: the message box that script templates import. A run is
// unattended, so MessageBox.Show never waits for anyone: the text is logged as an information
// message and the default button is the answer. The assembly has the framework's identity
// (ECMA key, 4.0.0.0) and the host loads it first, so it wins over an installed Windows Forms.
using System;
using Ssisd.ScriptHost.Bridge;

[assembly: System.Reflection.AssemblyVersion("4.0.0.0")]

namespace System.Windows.Forms
{
    public enum DialogResult { None = 0, OK = 1, Cancel = 2, Abort = 3, Retry = 4, Ignore = 5, Yes = 6, No = 7 }
    public enum MessageBoxButtons { OK = 0, OKCancel = 1, AbortRetryIgnore = 2, YesNoCancel = 3, YesNo = 4, RetryCancel = 5 }
    public enum MessageBoxIcon { None = 0, Hand = 16, Stop = 16, Error = 16, Question = 32, Exclamation = 48, Warning = 48, Asterisk = 64, Information = 64 }
    public enum MessageBoxDefaultButton { Button1 = 0, Button2 = 256, Button3 = 512 }
    [Flags]
    public enum MessageBoxOptions { DefaultDesktopOnly = 131072, RightAlign = 524288, RtlReading = 1048576, ServiceNotification = 2097152 }

    public interface IWin32Window
    {
        IntPtr Handle { get; }
    }

    public static class MessageBox
    {
        static readonly DialogResult[][] Buttons =
        {
            new[] { DialogResult.OK },
            new[] { DialogResult.OK, DialogResult.Cancel },
            new[] { DialogResult.Abort, DialogResult.Retry, DialogResult.Ignore },
            new[] { DialogResult.Yes, DialogResult.No, DialogResult.Cancel },
            new[] { DialogResult.Yes, DialogResult.No },
            new[] { DialogResult.Retry, DialogResult.Cancel },
        };

        /// What an unattended run answers: the default button.
        public static DialogResult Answer(MessageBoxButtons buttons, MessageBoxDefaultButton defaultButton)
        {
            int set = (int)buttons;
            if (set < 0 || set >= Buttons.Length) set = 0;
            int which = (int)defaultButton / 256;
            var choices = Buttons[set];
            return choices[which < choices.Length ? which : 0];
        }

        static DialogResult Log(string text, string caption, MessageBoxButtons buttons, MessageBoxDefaultButton defaultButton)
        {
            var answer = Answer(buttons, defaultButton);
            if (Host.Channel != null) Host.Channel.MessageBox(text ?? "", caption ?? "", answer.ToString());
            return answer;
        }

        public static DialogResult Show(string text) { return Log(text, "", MessageBoxButtons.OK, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(string text, string caption) { return Log(text, caption, MessageBoxButtons.OK, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(string text, string caption, MessageBoxButtons buttons) { return Log(text, caption, buttons, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(string text, string caption, MessageBoxButtons buttons, MessageBoxIcon icon) { return Log(text, caption, buttons, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(string text, string caption, MessageBoxButtons buttons, MessageBoxIcon icon, MessageBoxDefaultButton defaultButton) { return Log(text, caption, buttons, defaultButton); }
        public static DialogResult Show(string text, string caption, MessageBoxButtons buttons, MessageBoxIcon icon, MessageBoxDefaultButton defaultButton, MessageBoxOptions options) { return Log(text, caption, buttons, defaultButton); }
        public static DialogResult Show(IWin32Window owner, string text) { return Log(text, "", MessageBoxButtons.OK, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(IWin32Window owner, string text, string caption) { return Log(text, caption, MessageBoxButtons.OK, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(IWin32Window owner, string text, string caption, MessageBoxButtons buttons) { return Log(text, caption, buttons, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(IWin32Window owner, string text, string caption, MessageBoxButtons buttons, MessageBoxIcon icon) { return Log(text, caption, buttons, MessageBoxDefaultButton.Button1); }
        public static DialogResult Show(IWin32Window owner, string text, string caption, MessageBoxButtons buttons, MessageBoxIcon icon, MessageBoxDefaultButton defaultButton) { return Log(text, caption, buttons, defaultButton); }
    }
}
