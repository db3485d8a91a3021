// Microsoft.SqlServer.PipelineHost stand-in: PipelineBuffer over the columns of one batch the
// run sent (an input buffer: rows to walk with NextRow, columns to read and, where the
// component may, write) or of an output the script fills (AddRow appends a row; a full buffer
// and SetEndOfRowset hand the rows to the host, which sends them to the run). Typed getters
// throw ColumnIsNullException on a null value, as SSIS's do. It owns the row cursor and the
// values; it knows nothing of the wire.
using System;
using System.Runtime.CompilerServices;
using Ssisd.ScriptHost.Bridge;

[assembly: System.Reflection.AssemblyVersion("16.0.0.0")]
[assembly: System.Reflection.AssemblyTitle("Microsoft.SqlServer.PipelineHost stand-in of ssisd's script host")]
[assembly: InternalsVisibleTo("Microsoft.SqlServer.TxScript")]
[assembly: InternalsVisibleTo("ssisd-script-host")]

namespace Microsoft.SqlServer.Dts.Pipeline
{
    public enum PipelineBufferMode
    {
        Normal = 0,
        Output = 1,
    }

    /// Reading a column whose value is null.
    public class ColumnIsNullException : Exception
    {
        public ColumnIsNullException() : base("The column has a null value.") { }
        public ColumnIsNullException(string message) : base(message) { }
    }

    /// A value that does not fit its column.
    public class DoesNotFitBufferException : Exception
    {
        public DoesNotFitBufferException(string message) : base(message) { }
    }

    public class PipelineBuffer : IDisposable
    {
        readonly BatchColumn[] columns;
        readonly PipelineBufferMode mode;
        readonly Action<PipelineBuffer> flush;
        readonly int capacity;
        int rows;
        int current = -1;
        bool endOfRowset;

        /// An input buffer of `rows` rows (`endOfRowset`: the last, possibly empty, one).
        internal PipelineBuffer(BatchColumn[] columns, int rows, bool endOfRowset)
        {
            this.columns = columns;
            this.rows = rows;
            this.endOfRowset = endOfRowset;
            mode = PipelineBufferMode.Normal;
        }

        /// An output buffer: `flush` takes the rows when `capacity` are held and at the end.
        internal PipelineBuffer(BatchColumn[] columns, int capacity, Action<PipelineBuffer> flush)
        {
            this.columns = columns;
            this.capacity = Math.Max(1, capacity);
            this.flush = flush;
            mode = PipelineBufferMode.Output;
        }

        internal BatchColumn[] Columns { get { return columns; } }

        /// Forgets the rows handed over (an output buffer after a flush).
        internal void Clear()
        {
            rows = 0;
            current = -1;
        }

        public PipelineBufferMode Mode { get { return mode; } }
        public int ColumnCount { get { return columns.Length; } }
        public int RowCount { get { return rows; } }
        public int CurrentRow { get { return current; } }
        public bool EndOfRowset { get { return endOfRowset; } }
        public void Dispose() { }

        public bool NextRow()
        {
            if (current + 1 < rows)
            {
                current++;
                return true;
            }
            current = rows;
            return false;
        }

        public void AddRow()
        {
            if (mode != PipelineBufferMode.Output)
                throw new InvalidOperationException("Rows can be added only to an output buffer.");
            if (endOfRowset)
                throw new InvalidOperationException("The output has been ended with SetEndOfRowset; no more rows can be added.");
            if (rows == capacity)
            {
                flush(this);
                Clear();
            }
            foreach (var c in columns)
            {
                if (c.Capacity <= rows) c.Grow(Math.Min(capacity, Math.Max(16, c.Capacity * 2)));
                c.Nulls[rows] = true;
            }
            current = rows;
            rows++;
        }

        public void SetEndOfRowset()
        {
            if (mode != PipelineBufferMode.Output || endOfRowset) return;
            endOfRowset = true;
            flush(this);
            Clear();
        }

        public void DirectRow(int outputID)
        {
            throw new NotSupportedException("DirectRow: ssisd's Script Component sends every row to its one synchronous output.");
        }

        BatchColumn Column(int index)
        {
            if (index < 0 || index >= columns.Length)
                throw new ArgumentOutOfRangeException("index", "The buffer has no column " + index + ".");
            if (current < 0 || current >= rows)
                throw new InvalidOperationException("The buffer has no current row: call NextRow (or AddRow) first.");
            return columns[index];
        }

        T Get<T>(int index)
        {
            var c = Column(index);
            if (c.Nulls[current]) throw new ColumnIsNullException();
            return ((T[])c.Values)[current];
        }

        public bool IsNull(int columnIndex) { return Column(columnIndex).Nulls[current]; }
        public void SetNull(int columnIndex)
        {
            var c = Column(columnIndex);
            c.Nulls[current] = true;
            c.Values.SetValue(null, current);
        }

        public object this[int columnIndex]
        {
            get
            {
                var c = Column(columnIndex);
                return c.Nulls[current] ? null : c.Values.GetValue(current);
            }
            set
            {
                var c = Column(columnIndex);
                if (value == null || value is DBNull)
                {
                    c.Nulls[current] = true;
                    c.Values.SetValue(null, current);
                    return;
                }
                object v = value;
                Type want = ColumnKind.ElementType(c.Kind);
                if (v.GetType() != want)
                {
                    try { v = c.Kind == ColumnKind.Bytes ? (byte[])value : Convert.ChangeType(value, want, System.Globalization.CultureInfo.InvariantCulture); }
                    catch (Exception e)
                    {
                        throw new DoesNotFitBufferException("The value " + value + " (" + value.GetType().Name + ") does not fit column " + columnIndex + " of type " + want.Name + ": " + e.Message);
                    }
                }
                Store(c, v);
                c.Nulls[current] = false;
            }
        }

        /// Stores `v` (already of the column's type) in the current row, without reflection.
        void Store(BatchColumn c, object v)
        {
            switch (c.Kind)
            {
                case ColumnKind.String: ((string[])c.Values)[current] = (string)v; break;
                case ColumnKind.Int32: ((int[])c.Values)[current] = (int)v; break;
                case ColumnKind.Int64: ((long[])c.Values)[current] = (long)v; break;
                case ColumnKind.Int16: ((short[])c.Values)[current] = (short)v; break;
                case ColumnKind.Boolean: ((bool[])c.Values)[current] = (bool)v; break;
                case ColumnKind.Double: ((double[])c.Values)[current] = (double)v; break;
                case ColumnKind.Decimal: ((decimal[])c.Values)[current] = (decimal)v; break;
                case ColumnKind.DateTime: ((DateTime[])c.Values)[current] = (DateTime)v; break;
                case ColumnKind.Bytes: ((byte[][])c.Values)[current] = (byte[])v; break;
                default: c.Values.SetValue(v, current); break;
            }
        }

        void Set<T>(int index, T value)
        {
            var c = Column(index);
            var typed = c.Values as T[];
            if (typed == null) { this[index] = value; return; }
            typed[current] = value;
            c.Nulls[current] = value == null;
        }

        public string GetString(int columnIndex) { return Get<string>(columnIndex); }
        public bool GetBoolean(int columnIndex) { return Get<bool>(columnIndex); }
        public sbyte GetSByte(int columnIndex) { return Get<sbyte>(columnIndex); }
        public byte GetByte(int columnIndex) { return Get<byte>(columnIndex); }
        public short GetInt16(int columnIndex) { return Get<short>(columnIndex); }
        public ushort GetUInt16(int columnIndex) { return Get<ushort>(columnIndex); }
        public int GetInt32(int columnIndex) { return Get<int>(columnIndex); }
        public uint GetUInt32(int columnIndex) { return Get<uint>(columnIndex); }
        public long GetInt64(int columnIndex) { return Get<long>(columnIndex); }
        public ulong GetUInt64(int columnIndex) { return Get<ulong>(columnIndex); }
        public float GetSingle(int columnIndex) { return Get<float>(columnIndex); }
        public double GetDouble(int columnIndex) { return Get<double>(columnIndex); }
        public decimal GetDecimal(int columnIndex) { return Get<decimal>(columnIndex); }
        public decimal GetCurrency(int columnIndex) { return Get<decimal>(columnIndex); }
        public DateTime GetDateTime(int columnIndex) { return Get<DateTime>(columnIndex); }
        public DateTime GetDate(int columnIndex) { return Get<DateTime>(columnIndex); }
        public byte[] GetBytes(int columnIndex) { return Get<byte[]>(columnIndex); }

        public void SetString(int columnIndex, string value) { Set(columnIndex, value); }
        public void SetBoolean(int columnIndex, bool value) { Set(columnIndex, value); }
        public void SetSByte(int columnIndex, sbyte value) { Set(columnIndex, value); }
        public void SetByte(int columnIndex, byte value) { Set(columnIndex, value); }
        public void SetInt16(int columnIndex, short value) { Set(columnIndex, value); }
        public void SetUInt16(int columnIndex, ushort value) { Set(columnIndex, value); }
        public void SetInt32(int columnIndex, int value) { Set(columnIndex, value); }
        public void SetUInt32(int columnIndex, uint value) { Set(columnIndex, value); }
        public void SetInt64(int columnIndex, long value) { Set(columnIndex, value); }
        public void SetUInt64(int columnIndex, ulong value) { Set(columnIndex, value); }
        public void SetSingle(int columnIndex, float value) { Set(columnIndex, value); }
        public void SetDouble(int columnIndex, double value) { Set(columnIndex, value); }
        public void SetDecimal(int columnIndex, decimal value) { Set(columnIndex, value); }
        public void SetCurrency(int columnIndex, decimal value) { Set(columnIndex, value); }
        public void SetDateTime(int columnIndex, DateTime value) { Set(columnIndex, value); }
        public void SetDate(int columnIndex, DateTime value) { Set(columnIndex, value); }
        public void SetBytes(int columnIndex, byte[] value) { Set(columnIndex, value); }
    }
}
