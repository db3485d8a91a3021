// Microsoft.SqlServer.ManagedDTS stand-in: Connections and ConnectionManager over the package's
// connection managers. AcquireConnection gives what SSIS gives a managed script: the path for
// FILE and FLATFILE managers, an open ADO.NET connection of the manager's own provider type
// for ADO.NET managers; OLE DB and the other native managers give a COM object in SSIS that
// managed code cannot use, so they are refused with the way out (the ConnectionString).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using Ssisd.ScriptHost.Bridge;

namespace Microsoft.SqlServer.Dts.Runtime
{
    public class ConnectionManager
    {
        readonly ConnectionSlot slot;
        string connectionString;

        internal ConnectionManager(ConnectionSlot slot)
        {
            this.slot = slot;
            connectionString = slot.ConnectionString;
        }

        public string Name { get { return slot.Name; } }
        public string ID { get { return slot.Id; } }
        public string CreationName { get { return slot.CreationName; } }
        public string Description { get { return slot.Description; } }

        /// The effective connection string. Setting it changes what this script's later
        /// AcquireConnection calls use, not the package's connection manager.
        public string ConnectionString
        {
            get { return connectionString; }
            set { connectionString = value; }
        }

        public object AcquireConnection(object txn)
        {
            string kind = slot.CreationName ?? "";
            if (kind.Equals("FILE", StringComparison.OrdinalIgnoreCase)
                || kind.Equals("FLATFILE", StringComparison.OrdinalIgnoreCase)
                || kind.Equals("MULTIFILE", StringComparison.OrdinalIgnoreCase)
                || kind.Equals("MULTIFLATFILE", StringComparison.OrdinalIgnoreCase))
            {
                return connectionString == slot.ConnectionString ? slot.FilePath : connectionString;
            }
            if (kind.StartsWith("ADO.NET:", StringComparison.OrdinalIgnoreCase))
            {
                string typeName = kind.Substring("ADO.NET:".Length);
                Type t = Type.GetType(typeName, false);
                if (t == null || !typeof(IDbConnection).IsAssignableFrom(t))
                    throw new DtsRuntimeException("The ADO.NET connection manager \"" + slot.Name + "\" uses the provider " + typeName + ", which Mono does not have here; System.Data.SqlClient and System.Data.Odbc are available.");
                var c = (IDbConnection)Activator.CreateInstance(t);
                c.ConnectionString = connectionString;
                c.Open();
                return c;
            }
            throw new DtsRuntimeException("The connection manager \"" + slot.Name + "\" (" + kind + ") gives a native connection object that managed script code cannot use; read its ConnectionString and open a managed connection (System.Data.Odbc, System.Data.SqlClient) instead.");
        }

        public void ReleaseConnection(object connection)
        {
            var d = connection as IDisposable;
            if (d != null) d.Dispose();
        }

        public override string ToString() { return slot.Name; }
    }

    public class Connections : ReadOnlyCollectionBase
    {
        readonly List<ConnectionManager> items = new List<ConnectionManager>();

        internal Connections() { }

        public static Connections OfPackage()
        {
            var cs = new Connections();
            foreach (var s in Host.Connections)
            {
                var cm = new ConnectionManager(s);
                cs.items.Add(cm);
                cs.InnerList.Add(cm);
            }
            return cs;
        }

        ConnectionManager Lookup(object index)
        {
            if (index is int)
            {
                int i = (int)index;
                return i >= 0 && i < items.Count ? items[i] : null;
            }
            string key = index == null ? "" : index.ToString();
            foreach (var c in items)
                if (c.Name == key || string.Equals(c.ID, key, StringComparison.OrdinalIgnoreCase)) return c;
            return null;
        }

        public ConnectionManager this[object index]
        {
            get
            {
                var c = Lookup(index);
                if (c == null) throw Errors.ElementNotFound(index);
                return c;
            }
        }

        public bool Contains(object index) { return Lookup(index) != null; }
    }
}
