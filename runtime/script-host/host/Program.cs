// ssisd's script host: runs one Script Task (or one Script Component: Component.cs) in this
// Mono process for a run of ssisd. It reads
// the request (the script assembly, the task's variables and connections) from standard input,
// resolves the SSIS, Visual Basic, Windows Forms and add-in assemblies scripts reference, of
// any version, to the stand-ins beside it, finds the entry point of the script's generation
// (2012+ attribute, 2008 ScriptMain with or without the VSTA proxy, 2005 VSA start-up), runs
// Main and reports events, variable writes and the result on the channel pipe. An exception
// from the script is reported with its type, message and stack trace; the process exits 0
// whenever it could report, whatever the script did.
using System;
using System.IO;
using System.Reflection;
using System.Text;
using Ssisd.ScriptHost.Bridge;
using TaskModel = Microsoft.SqlServer.Dts.Tasks.ScriptTask;

namespace Ssisd.ScriptHost
{
    static class Program
    {
        /// Ends the process at once: once the last frame is out, finalizers of the script's
        /// objects (Mono's OleDb throws from its finalizer) must not turn a finished task into
        /// a crash.
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "_exit")]
        static extern void Exit(int code);

        /// The environment variable holding the channel's descriptor number.
        const string ChannelEnv = "SSISD_SCRIPT_CHANNEL";

        static int Main()
        {
            Frames frames;
            try
            {
                string fd = Environment.GetEnvironmentVariable(ChannelEnv);
                // Mono's FileStream does not take a pipe's bare descriptor; the same pipe opened
                // again through /proc does.
                int number = int.Parse(fd);
                frames = new Frames(new FileStream("/proc/self/fd/" + number, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("ssisd script host: no channel to the run (" + ChannelEnv + "): " + e.Message);
                return 2;
            }
            try
            {
                Resolver.Install();
                var input = new BinaryReader(Console.OpenStandardInput(), new UTF8Encoding(false));
                BinaryReader body;
                byte kind = Request.ReadFirst(input, out body);
                Host.Channel = new Channel(frames);
                if (kind == Request.Kind)
                {
                    Request request = Request.Parse(body);
                    Host.TaskName = request.TaskName;
                    Run(request, frames);
                }
                else if (kind == ComponentRequest.Kind)
                {
                    ComponentRequest request = ComponentRequest.Parse(body);
                    Host.TaskName = request.ComponentName;
                    new ComponentRun(request, frames).Run(input);
                }
                else
                {
                    throw new InvalidDataException("the request is of kind " + kind + ", which this host does not know");
                }
                Console.Out.Flush();
                Console.Error.Flush();
                Exit(0);
                return 0;
            }
            catch (Exception e)
            {
                try
                {
                    frames.Send(Kind.HostError, w => w.Write(e.ToString()));
                    Exit(0);
                    return 0;
                }
                catch (Exception)
                {
                    Console.Error.WriteLine(e);
                    return 2;
                }
            }
        }

        static void Run(Request request, Frames frames)
        {
            Assembly script = Assembly.LoadFrom(request.AssemblyPath);
            Type entry = EntryPoint.Find(script, request.EntryClass);
            try
            {
                EntryPoint.Invoke(script, entry, request.EntryMethod);
            }
            catch (TargetInvocationException e)
            {
                ReportException(frames, e.InnerException ?? e);
                return;
            }
            catch (Exception e)
            {
                ReportException(frames, e);
                return;
            }
            var model = TaskModel.ScriptObjectModel.Current;
            frames.Send(Kind.Finished, w =>
            {
                w.Write(model.TaskResult);
                Frames.WriteValue(w, model.ExecutionValue);
            });
        }

        internal static void ReportException(Frames frames, Exception e)
        {
            frames.Send(Kind.Exception, w =>
            {
                w.Write(e.GetType().FullName ?? "System.Exception");
                w.Write(e.Message ?? "");
                w.Write(e.ToString());
            });
        }
    }
}
