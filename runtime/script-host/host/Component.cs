// Running one Script Component in this process: the component request (the assembly, the
// component's listed variables, connection slots, and the columns of its input and outputs),
// then the run's commands on standard input — PreExecute, a batch of input rows, PrimeOutput,
// PostExecute — each answered on the channel once the script's code for it has run. Batches
// travel as ComponentBatch encodes them; ReadWrite variables the script wrote go back after
// PostExecute, as SSIS writes them back then. Its home is pipeline/src/script/protocol.rs: kinds
// and field order mirror that file.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.SqlServer.Dts.Pipeline;
using Microsoft.SqlServer.Dts.Pipeline.Wrapper;
using Microsoft.SqlServer.Dts.Runtime.Wrapper;
using Ssisd.ScriptHost.Bridge;

namespace Ssisd.ScriptHost
{
    /// Commands the run sends (frame kinds on standard input after the request).
    static class Command
    {
        public const byte PreExecute = 3;
        public const byte Batch = 4;
        public const byte Prime = 5;
        public const byte PostExecute = 6;
    }

    /// Answers to the commands (frame kinds on the channel, beside the events of Kind).
    static class Answer
    {
        public const byte Ready = 20;
        public const byte BatchDone = 21;
        public const byte OutputBatch = 22;
        public const byte PrimeDone = 23;
    }

    /// An input or output of the component, as the request describes it.
    sealed class Port
    {
        public string Name;
        public int Id;
        public bool Synchronous;
        public byte[] Kinds;
        public bool[] Writable;
    }

    sealed class ComponentRequest
    {
        public const byte Kind = 2;
        public const int Version = 1;
        public string AssemblyPath;
        public string ComponentName;
        public int ComponentId;
        public string ProjectName;
        public int BatchRows;
        public readonly List<VariableSlot> ReadOnly = new List<VariableSlot>();
        public readonly List<VariableSlot> ReadWrite = new List<VariableSlot>();
        public readonly List<KeyValuePair<string, string>> Slots = new List<KeyValuePair<string, string>>();
        public readonly List<Port> Inputs = new List<Port>();
        public readonly List<Port> Outputs = new List<Port>();
        public readonly Dictionary<int, string> Lineages = new Dictionary<int, string>();

        public static ComponentRequest Parse(BinaryReader body)
        {
            int version = body.ReadInt32();
            if (version != Version) throw new InvalidDataException("the component request is of protocol version " + version + "; this host speaks " + Version);
            var q = new ComponentRequest();
            q.AssemblyPath = body.ReadString();
            q.ComponentName = body.ReadString();
            q.ComponentId = body.ReadInt32();
            q.ProjectName = body.ReadString();
            q.BatchRows = body.ReadInt32();
            int vars = body.ReadInt32();
            for (int i = 0; i < vars; i++)
            {
                var v = new VariableSlot();
                v.QualifiedName = body.ReadString();
                v.Namespace = body.ReadString();
                v.Name = body.ReadString();
                v.Access = (VariableAccess)body.ReadByte();
                v.VariableReadOnly = body.ReadBoolean();
                v.Type = (TypeCode)body.ReadByte();
                v.Value = Request.ReadValue(body);
                v.Description = "";
                v.Id = "";
                Host.Variables.Add(v);
                (v.Access == VariableAccess.ReadWrite ? q.ReadWrite : q.ReadOnly).Add(v);
            }
            Request.ReadConnections(body);
            int slots = body.ReadInt32();
            for (int i = 0; i < slots; i++) q.Slots.Add(new KeyValuePair<string, string>(body.ReadString(), body.ReadString()));
            for (int side = 0; side < 2; side++)
            {
                int ports = body.ReadInt32();
                for (int i = 0; i < ports; i++)
                {
                    var p = new Port();
                    p.Name = body.ReadString();
                    p.Id = body.ReadInt32();
                    p.Synchronous = body.ReadBoolean();
                    int cols = body.ReadInt32();
                    p.Kinds = new byte[cols];
                    p.Writable = new bool[cols];
                    for (int c = 0; c < cols; c++)
                    {
                        p.Kinds[c] = body.ReadByte();
                        p.Writable[c] = body.ReadBoolean();
                    }
                    (side == 0 ? q.Inputs : q.Outputs).Add(p);
                }
            }
            int lineages = body.ReadInt32();
            for (int i = 0; i < lineages; i++)
            {
                int lineage = body.ReadInt32();
                q.Lineages[lineage] = body.ReadString();
            }
            return q;
        }
    }

    /// A batch on the wire: rows, then per column its kind, a validity bitmap (bit set: a
    /// value; least significant bit first, as Arrow's) and its values — fixed-width values
    /// little-endian, one per row (Booleans one byte, decimals the four Int32s of
    /// decimal.GetBits, dates as ticks); strings (UTF-8) and byte arrays as rows + 1 Int32
    /// offsets and then the bytes they index.
    static class ComponentBatch
    {
        static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, false);

        public static BatchColumn[] Read(BinaryReader r, byte[] kinds, out int rows)
        {
            rows = r.ReadInt32();
            int count = r.ReadInt32();
            if (count != kinds.Length) throw new InvalidDataException("the batch has " + count + " columns; the component's buffer has " + kinds.Length);
            var columns = new BatchColumn[count];
            for (int c = 0; c < count; c++)
            {
                byte kind = r.ReadByte();
                if (kind != kinds[c]) throw new InvalidDataException("column " + c + " of the batch is of kind " + kind + ", not " + kinds[c]);
                columns[c] = ReadColumn(r, kind, rows);
            }
            return columns;
        }

        static BatchColumn ReadColumn(BinaryReader r, byte kind, int rows)
        {
            byte[] bits = r.ReadBytes((rows + 7) / 8);
            var nulls = new bool[rows];
            for (int i = 0; i < rows; i++) nulls[i] = (bits[i >> 3] & (1 << (i & 7))) == 0;
            Array values;
            switch (kind)
            {
                case ColumnKind.String:
                case ColumnKind.Bytes:
                    {
                        var offsets = new int[rows + 1];
                        System.Buffer.BlockCopy(r.ReadBytes((rows + 1) * 4), 0, offsets, 0, (rows + 1) * 4);
                        byte[] data = r.ReadBytes(offsets[rows] - offsets[0]);
                        int start = offsets[0];
                        if (kind == ColumnKind.String)
                        {
                            var s = new string[rows];
                            for (int i = 0; i < rows; i++)
                                if (!nulls[i]) s[i] = Utf8.GetString(data, offsets[i] - start, offsets[i + 1] - offsets[i]);
                            values = s;
                        }
                        else
                        {
                            var b = new byte[rows][];
                            for (int i = 0; i < rows; i++)
                            {
                                if (nulls[i]) continue;
                                b[i] = new byte[offsets[i + 1] - offsets[i]];
                                System.Buffer.BlockCopy(data, offsets[i] - start, b[i], 0, b[i].Length);
                            }
                            values = b;
                        }
                        break;
                    }
                case ColumnKind.Decimal:
                    {
                        var d = new decimal[rows];
                        var parts = new int[4];
                        for (int i = 0; i < rows; i++)
                        {
                            for (int k = 0; k < 4; k++) parts[k] = r.ReadInt32();
                            if (!nulls[i]) d[i] = new decimal(parts);
                        }
                        values = d;
                        break;
                    }
                case ColumnKind.DateTime:
                    {
                        var d = new DateTime[rows];
                        for (int i = 0; i < rows; i++)
                        {
                            long ticks = r.ReadInt64();
                            if (!nulls[i]) d[i] = new DateTime(ticks, DateTimeKind.Unspecified);
                        }
                        values = d;
                        break;
                    }
                default:
                    {
                        values = Array.CreateInstance(ColumnKind.ElementType(kind), rows);
                        int width = System.Buffer.ByteLength(values) / Math.Max(rows, 1);
                        if (rows > 0) System.Buffer.BlockCopy(r.ReadBytes(width * rows), 0, values, 0, width * rows);
                        break;
                    }
            }
            return new BatchColumn(kind, values, nulls);
        }

        public static void Write(BinaryWriter w, BatchColumn[] columns, int rows, Func<int, bool> include)
        {
            w.Write(rows);
            int count = 0;
            for (int c = 0; c < columns.Length; c++) if (include(c)) count++;
            w.Write(count);
            for (int c = 0; c < columns.Length; c++)
                if (include(c)) WriteColumn(w, columns[c], rows);
        }

        static void WriteColumn(BinaryWriter w, BatchColumn column, int rows)
        {
            w.Write(column.Kind);
            var bits = new byte[(rows + 7) / 8];
            for (int i = 0; i < rows; i++) if (!column.Nulls[i]) bits[i >> 3] |= (byte)(1 << (i & 7));
            w.Write(bits);
            switch (column.Kind)
            {
                case ColumnKind.String:
                    {
                        var s = (string[])column.Values;
                        var offsets = new int[rows + 1];
                        int total = 0;
                        for (int i = 0; i < rows; i++) if (!column.Nulls[i] && s[i] != null) total += Utf8.GetMaxByteCount(s[i].Length);
                        var data = new byte[total];
                        int at = 0;
                        for (int i = 0; i < rows; i++)
                        {
                            offsets[i] = at;
                            if (!column.Nulls[i] && s[i] != null) at += Utf8.GetBytes(s[i], 0, s[i].Length, data, at);
                        }
                        offsets[rows] = at;
                        var o = new byte[(rows + 1) * 4];
                        System.Buffer.BlockCopy(offsets, 0, o, 0, o.Length);
                        w.Write(o);
                        w.Write(data, 0, at);
                        break;
                    }
                case ColumnKind.Bytes:
                    {
                        var b = (byte[][])column.Values;
                        int at = 0;
                        var o = new int[rows + 1];
                        for (int i = 0; i < rows; i++)
                        {
                            o[i] = at;
                            if (!column.Nulls[i] && b[i] != null) at += b[i].Length;
                        }
                        o[rows] = at;
                        foreach (int x in o) w.Write(x);
                        for (int i = 0; i < rows; i++) if (!column.Nulls[i] && b[i] != null) w.Write(b[i]);
                        break;
                    }
                case ColumnKind.Decimal:
                    {
                        var d = (decimal[])column.Values;
                        for (int i = 0; i < rows; i++)
                            foreach (int part in decimal.GetBits(column.Nulls[i] ? 0m : d[i])) w.Write(part);
                        break;
                    }
                case ColumnKind.DateTime:
                    {
                        var d = (DateTime[])column.Values;
                        for (int i = 0; i < rows; i++) w.Write(column.Nulls[i] ? 0L : d[i].Ticks);
                        break;
                    }
                default:
                    {
                        if (rows == 0) break;
                        int width = System.Buffer.ByteLength(column.Values) / column.Values.Length;
                        var bytes = new byte[width * rows];
                        System.Buffer.BlockCopy(column.Values, 0, bytes, 0, bytes.Length);
                        w.Write(bytes);
                        break;
                    }
            }
        }
    }

    /// The component run: the script's ScriptMain and the commands of the run.
    sealed class ComponentRun
    {
        readonly ComponentRequest request;
        readonly Frames frames;
        readonly OutputNameMap outputMap = new OutputNameMap();
        ScriptComponent component;

        public ComponentRun(ComponentRequest request, Frames frames)
        {
            this.request = request;
            this.frames = frames;
        }

        static Type Find(Assembly script)
        {
            Type[] types;
            try { types = script.GetTypes(); }
            catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t != null).ToArray(); }
            var candidates = types.Where(t => t.IsClass && !t.IsAbstract && typeof(ScriptComponent).IsAssignableFrom(t)).ToArray();
            return candidates.FirstOrDefault(t => t.Name == "ScriptMain")
                ?? candidates.FirstOrDefault(t => t.Name != "UserComponent")
                ?? candidates.FirstOrDefault();
        }

        /// Loads the script and gives the component its metadata; false when it cannot run.
        bool Start()
        {
            Assembly script = Assembly.LoadFrom(request.AssemblyPath);
            Type main = Find(script);
            if (main == null)
            {
                frames.Send(Kind.HostError, w => w.Write("the script has no class deriving from ScriptComponent (ScriptMain : UserComponent)"));
                return false;
            }
            try { component = (ScriptComponent)Activator.CreateInstance(main); }
            catch (TargetInvocationException e) { Program.ReportException(frames, e.InnerException ?? e); return false; }
            component.metaData = new ComponentMetaData(request.ComponentName, request.ComponentId, request.Lineages);
            component.readOnlyVariables = new ComponentVariables(request.ReadOnly, false);
            component.readWriteVariables = new ComponentVariables(request.ReadWrite, true);
            var managers = Microsoft.SqlServer.Dts.Runtime.Connections.OfPackage();
            foreach (var slot in request.Slots)
                if (managers.Contains(slot.Value))
                    component.connections[slot.Key] = new ComponentConnection(managers[slot.Value]);
            foreach (var p in request.Inputs.Concat(request.Outputs))
                component.columnIndexes[p.Id] = Enumerable.Range(0, p.Kinds.Length).ToArray();
            foreach (var o in request.Outputs) outputMap.Add(o.Name, o.Id);
            return true;
        }

        /// Runs the commands until PostExecute or the end of standard input.
        public void Run(BinaryReader input)
        {
            if (!Start()) return;
            while (true)
            {
                byte[] body;
                try
                {
                    int length = input.ReadInt32();
                    body = input.ReadBytes(length);
                    if (body.Length != length) return;
                }
                catch (EndOfStreamException) { return; }
                var r = new BinaryReader(new MemoryStream(body), new UTF8Encoding(false));
                byte command = r.ReadByte();
                try
                {
                    switch (command)
                    {
                        case Command.PreExecute:
                            component.AcquireConnections(null);
                            component.PreExecute();
                            frames.Send((Kind)Answer.Ready, w => { });
                            break;
                        case Command.Batch:
                            Batch(r);
                            break;
                        case Command.Prime:
                            Prime();
                            break;
                        case Command.PostExecute:
                            PostExecute();
                            return;
                        default:
                            throw new InvalidDataException("unknown command " + command);
                    }
                }
                catch (Exception e)
                {
                    Program.ReportException(frames, e);
                    return;
                }
            }
        }

        void Batch(BinaryReader r)
        {
            int index = r.ReadInt32();
            bool end = r.ReadBoolean();
            Port port = request.Inputs[index];
            int rows;
            BatchColumn[] columns = ComponentBatch.Read(r, port.Kinds, out rows);
            var buffer = new PipelineBuffer(columns, rows, end);
            component.ProcessInput(port.Id, port.Name, buffer, outputMap);
            frames.Send((Kind)Answer.BatchDone, w => ComponentBatch.Write(w, columns, rows, c => port.Writable[c]));
        }

        void Prime()
        {
            var async = request.Outputs.Select((o, i) => new { o, i }).Where(x => !x.o.Synchronous).ToArray();
            var buffers = new PipelineBuffer[async.Length];
            for (int k = 0; k < async.Length; k++)
            {
                int index = async[k].i;
                Port port = async[k].o;
                var columns = port.Kinds.Select(kind => new BatchColumn(kind, 16)).ToArray();
                buffers[k] = new PipelineBuffer(columns, request.BatchRows, b =>
                    frames.Send((Kind)Answer.OutputBatch, w =>
                    {
                        w.Write(index);
                        w.Write(b.EndOfRowset);
                        ComponentBatch.Write(w, b.Columns, b.RowCount, c => true);
                    }));
            }
            component.PrimeOutput(async.Length, async.Select(x => x.o.Id).ToArray(), buffers, outputMap);
            frames.Send((Kind)Answer.PrimeDone, w => { });
        }

        void PostExecute()
        {
            component.inPostExecute = true;
            component.PostExecute();
            component.ReleaseConnections();
            foreach (var v in request.ReadWrite)
            {
                if (!v.Written) continue;
                frames.Send(Kind.VariableSet, w => { w.Write(v.QualifiedName); Frames.WriteValue(w, v.Value); });
            }
            frames.Send(Kind.Finished, w => { w.Write(0); Frames.WriteValue(w, null); });
        }
    }
}
