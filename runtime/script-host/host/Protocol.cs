// The script host's side of the protocol between a run and this process. Its home is
// runtime/src/tasks/script/protocol.rs: the frame kinds, field order and value tags here mirror
// that file, and a change there is a change here. Frames are a little-endian u32 length and a
// body; a body is a kind byte and fields written as .NET's BinaryWriter writes them (strings:
// 7-bit-encoded length, UTF-8). The run sends one request on standard input (a Script Task's,
// or a Script Component's, whose commands follow: Component.cs); this process answers on the
// channel pipe.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Ssisd.ScriptHost.Bridge;

namespace Ssisd.ScriptHost
{
    /// Kinds of the frames this process sends.
    enum Kind : byte
    {
        Information = 1,
        Warning = 2,
        Error = 3,
        Progress = 4,
        Custom = 5,
        Log = 6,
        VariableSet = 7,
        MessageBox = 8,
        Finished = 9,
        Exception = 10,
        HostError = 11,
    }

    /// Value tags: System.TypeCode numbers, plus byte arrays and non-primitive objects.
    static class Tag
    {
        public const byte Bytes = 100;
        public const byte ObjectDescription = 101;
    }

    /// The task to run, as the run describes it.
    sealed class Request
    {
        public const byte Kind = 1;
        public const int Version = 1;
        public string AssemblyPath;
        public string TaskName;
        public string EntryClass;
        public string EntryMethod;
        public string ProjectName;

        /// Reads the first frame of standard input: its kind and its body after the kind.
        public static byte ReadFirst(BinaryReader input, out BinaryReader body)
        {
            int length = input.ReadInt32();
            body = new BinaryReader(new MemoryStream(input.ReadBytes(length)), new UTF8Encoding(false));
            return body.ReadByte();
        }

        /// The Script Task request (after its kind byte).
        public static Request Parse(BinaryReader body)
        {
            int version = body.ReadInt32();
            if (version != Version) throw new InvalidDataException("the request is of protocol version " + version + "; this host speaks " + Version);
            var q = new Request();
            q.AssemblyPath = body.ReadString();
            q.TaskName = body.ReadString();
            q.EntryClass = body.ReadString();
            q.EntryMethod = body.ReadString();
            q.ProjectName = body.ReadString();
            int vars = body.ReadInt32();
            for (int i = 0; i < vars; i++)
            {
                var v = new VariableSlot();
                v.QualifiedName = body.ReadString();
                v.Namespace = body.ReadString();
                v.Name = body.ReadString();
                v.Access = (VariableAccess)body.ReadByte();
                v.VariableReadOnly = body.ReadBoolean();
                v.Description = body.ReadString();
                v.Id = body.ReadString();
                v.Type = (TypeCode)body.ReadByte();
                v.Value = ReadValue(body);
                Host.Variables.Add(v);
            }
            ReadConnections(body);
            return q;
        }

        /// The package's connection managers, into Host.Connections.
        internal static void ReadConnections(BinaryReader body)
        {
            int conns = body.ReadInt32();
            for (int i = 0; i < conns; i++)
            {
                var c = new ConnectionSlot();
                c.Name = body.ReadString();
                c.Id = body.ReadString();
                c.CreationName = body.ReadString();
                c.ConnectionString = body.ReadString();
                c.FilePath = body.ReadString();
                c.Description = body.ReadString();
                Host.Connections.Add(c);
            }
        }

        internal static object ReadValue(BinaryReader r)
        {
            byte tag = r.ReadByte();
            switch (tag)
            {
                case (byte)TypeCode.Empty: return null;
                case (byte)TypeCode.Object: return null;
                case (byte)TypeCode.DBNull: return DBNull.Value;
                case (byte)TypeCode.Boolean: return r.ReadBoolean();
                case (byte)TypeCode.Char: return (char)r.ReadUInt16();
                case (byte)TypeCode.SByte: return r.ReadSByte();
                case (byte)TypeCode.Byte: return r.ReadByte();
                case (byte)TypeCode.Int16: return r.ReadInt16();
                case (byte)TypeCode.UInt16: return r.ReadUInt16();
                case (byte)TypeCode.Int32: return r.ReadInt32();
                case (byte)TypeCode.UInt32: return r.ReadUInt32();
                case (byte)TypeCode.Int64: return r.ReadInt64();
                case (byte)TypeCode.UInt64: return r.ReadUInt64();
                case (byte)TypeCode.Single: return r.ReadSingle();
                case (byte)TypeCode.Double: return r.ReadDouble();
                case (byte)TypeCode.Decimal: return decimal.Parse(r.ReadString(), NumberStyles.Float, CultureInfo.InvariantCulture);
                case (byte)TypeCode.DateTime: return new DateTime(r.ReadInt64(), DateTimeKind.Unspecified);
                case (byte)TypeCode.String: return r.ReadString();
                case Tag.Bytes: return r.ReadBytes(r.ReadInt32());
                default: throw new InvalidDataException("unknown value tag " + tag);
            }
        }
    }

    /// Writes frames to the channel; every frame is flushed at once so the run sees events
    /// while the script is still running. Safe to call from the script's threads.
    sealed class Frames
    {
        readonly Stream channel;
        readonly object gate = new object();

        public Frames(Stream channel) { this.channel = channel; }

        public void Send(Kind kind, Action<BinaryWriter> fields)
        {
            var body = new MemoryStream();
            var w = new BinaryWriter(body, new UTF8Encoding(false));
            w.Write((byte)kind);
            fields(w);
            w.Flush();
            byte[] bytes = body.ToArray();
            lock (gate)
            {
                channel.Write(BitConverter.GetBytes(bytes.Length), 0, 4);
                channel.Write(bytes, 0, bytes.Length);
                channel.Flush();
            }
        }

        public static void WriteValue(BinaryWriter w, object value)
        {
            if (value == null) { w.Write((byte)TypeCode.Empty); return; }
            var bytes = value as byte[];
            if (bytes != null) { w.Write(Tag.Bytes); w.Write(bytes.Length); w.Write(bytes); return; }
            TypeCode code = Type.GetTypeCode(value.GetType());
            switch (code)
            {
                case TypeCode.DBNull: w.Write((byte)code); return;
                case TypeCode.Boolean: w.Write((byte)code); w.Write((bool)value); return;
                case TypeCode.Char: w.Write((byte)code); w.Write((ushort)(char)value); return;
                case TypeCode.SByte: w.Write((byte)code); w.Write((sbyte)value); return;
                case TypeCode.Byte: w.Write((byte)code); w.Write((byte)value); return;
                case TypeCode.Int16: w.Write((byte)code); w.Write((short)value); return;
                case TypeCode.UInt16: w.Write((byte)code); w.Write((ushort)value); return;
                case TypeCode.Int32: w.Write((byte)code); w.Write((int)value); return;
                case TypeCode.UInt32: w.Write((byte)code); w.Write((uint)value); return;
                case TypeCode.Int64: w.Write((byte)code); w.Write((long)value); return;
                case TypeCode.UInt64: w.Write((byte)code); w.Write((ulong)value); return;
                case TypeCode.Single: w.Write((byte)code); w.Write((float)value); return;
                case TypeCode.Double: w.Write((byte)code); w.Write((double)value); return;
                case TypeCode.Decimal: w.Write((byte)code); w.Write(((decimal)value).ToString(CultureInfo.InvariantCulture)); return;
                case TypeCode.DateTime: w.Write((byte)code); w.Write(((DateTime)value).Ticks); return;
                case TypeCode.String: w.Write((byte)code); w.Write((string)value); return;
                default: w.Write(Tag.ObjectDescription); w.Write(value.GetType().FullName ?? "object"); return;
            }
        }
    }

    /// The channel the stand-ins report through.
    sealed class Channel : IHostChannel
    {
        readonly Frames frames;
        public Channel(Frames frames) { this.frames = frames; }

        static string S(string s) { return s ?? ""; }

        public void Information(int code, string sub, string text) { frames.Send(Kind.Information, w => { w.Write(code); w.Write(S(sub)); w.Write(S(text)); }); }
        public void Warning(int code, string sub, string text) { frames.Send(Kind.Warning, w => { w.Write(code); w.Write(S(sub)); w.Write(S(text)); }); }
        public void Error(int code, string sub, string text) { frames.Send(Kind.Error, w => { w.Write(code); w.Write(S(sub)); w.Write(S(text)); }); }
        public void Progress(string text, int percent, string sub) { frames.Send(Kind.Progress, w => { w.Write(S(text)); w.Write(percent); w.Write(S(sub)); }); }
        public void Custom(string name, string text, string sub) { frames.Send(Kind.Custom, w => { w.Write(S(name)); w.Write(S(text)); w.Write(S(sub)); }); }
        public void Log(string message, int code, int bytes) { frames.Send(Kind.Log, w => { w.Write(S(message)); w.Write(code); w.Write(bytes); }); }
        public void VariableWritten(VariableSlot v) { frames.Send(Kind.VariableSet, w => { w.Write(v.QualifiedName); Frames.WriteValue(w, v.Value); }); }
        public void MessageBox(string text, string caption, string answer) { frames.Send(Kind.MessageBox, w => { w.Write(S(text)); w.Write(S(caption)); w.Write(S(answer)); }); }
    }
}
