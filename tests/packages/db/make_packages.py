#!/usr/bin/env python3
"""Writes the database data-flow test packages of this folder, each in the 2008 layout (format
3, class GUIDs) and the 2016+ layout (format 8, `Microsoft.*` monikers), with the writer of
../data_flow/make_packages.py. The database connection managers carry placeholder connection
strings: the tests point them at a throwaway PostgreSQL server or a SQLite file with /Conn.
Run it from this folder after changing a description; the tests read the .dtsx files it writes.
"""

import os
import sys
from xml.sax.saxutils import quoteattr, escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data_flow"))
import make_packages as mk  # noqa: E402

mk.CLASS.update({
    "OLEDBSource": ("{BCEFE59B-6819-47F7-A125-63753B33ABB7}", "Microsoft.OLEDBSource"),
    "OLEDBDestination": ("{5A0B62E8-D91D-49F5-94A5-7BE58DE508F0}", "Microsoft.OLEDBDestination"),
    # The ODBC components exist from SSIS 2012 on; both layouts use their monikers.
    "ODBCSource": ("Microsoft.SSISODBCSrc", "Microsoft.SSISODBCSrc"),
    "ODBCDestination": ("Microsoft.SSISODBCDst", "Microsoft.SSISODBCDst"),
    # OLE DB Command's class id as SSIS 2012 writes it (the corpus has no older one).
    "OLEDBCommand": ("{93FFEC66-CBC8-4C7F-9C6A-CB1C17A7567D}", "Microsoft.OLEDBCommand"),
    "SQLServerDestination": ("{E4B61516-847B-4BDF-9CC6-1968A2D43E73}", "Microsoft.SQLServerDestination"),
})

t, col, cm = mk.t, mk.col, mk.cm


def db_manager(m, fmt, dtsid):
    """An OLE DB or ODBC connection manager."""
    ident = "{%08X-0000-4000-8000-000000000000}" % dtsid
    if fmt == 8:
        return (f'<DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[{m["name"]}]" DTS:CreationName="{m["creation"]}" '
                f'DTS:DTSID="{ident}" DTS:ObjectName="{m["name"]}"><DTS:ObjectData>'
                f'<DTS:ConnectionManager DTS:ConnectionString={quoteattr(m["connection_string"])}/></DTS:ObjectData></DTS:ConnectionManager>')
    return (f'<DTS:ConnectionManager><DTS:Property DTS:Name="DelayValidation">0</DTS:Property>'
            f'<DTS:Property DTS:Name="ObjectName">{m["name"]}</DTS:Property><DTS:Property DTS:Name="DTSID">{ident}</DTS:Property>'
            f'<DTS:Property DTS:Name="CreationName">{m["creation"]}</DTS:Property><DTS:ObjectData><DTS:ConnectionManager>'
            f'<DTS:Property DTS:Name="Retain">0</DTS:Property><DTS:Property DTS:Name="ConnectionString">{escape(m["connection_string"])}</DTS:Property>'
            f'</DTS:ConnectionManager></DTS:ObjectData></DTS:ConnectionManager>')


def db(name, creation="OLEDB"):
    placeholder = ("Provider=MSDASQL;Extended Properties=\"Driver={SQLite3};Database=/nonexistent/set-with-Conn.db\""
                   if creation == "OLEDB" else "Driver={SQLite3};Database=/nonexistent/set-with-Conn.db")
    return dict(name=name, creation=creation, connection_string=placeholder, writer=db_manager)


I4 = t("i4")
STR50 = t("str", 50, code_page=1252)
WSTR50 = t("wstr", 50)
AMOUNT = t("numeric", precision=12, scale=2)
DATE = t("dbDate")
ORDER_COLUMNS = [col("id", I4), col("customer", STR50), col("amount", AMOUNT), col("ordered", DATE)]
ERROR_COLUMNS = [col("ErrorCode", I4, special=1), col("ErrorColumn", I4, special=2)]


def orders_file(name="Orders", path="C:\\data\\orders.csv"):
    return cm(name, path, [col("id", I4), col("customer", STR50), col("amount", AMOUNT), col("ordered", DATE)],
              qualifier='"', names=True)


def read_orders():
    return mk.ff_source("Read orders", "Orders", ORDER_COLUMNS, error_output=False)


def ole_db_destination(name, props, err="FailComponent"):
    return dict(name=name, kind="OLEDBDestination", contact="OLE DB Destination", conn="Warehouse", slot="OleDbConnection",
                props=props,
                inputs=[dict(name="OLE DB Destination Input", side_effects=True, err=err, columns=[
                    dict(**{"from": f"Read orders.Flat File Source Output.{c}", "external": c, "external_ty": ty})
                    for c, ty in [("id", I4), ("customer", STR50), ("amount", AMOUNT), ("ordered", DATE)]])],
                outputs=[dict(name="OLE DB Destination Error Output", sync="OLE DB Destination Input", error=True,
                              group=1, columns=ERROR_COLUMNS)])


def load(name, seed, props, err="FailComponent", variables=()):
    """Flat file -> OLE DB Destination, rejected rows -> rejects.csv."""
    return dict(
        name=name, seed=seed, variables=list(variables),
        managers=[orders_file(), cm("Rejects", "C:\\data\\rejects.csv", [col("id", I4), col("ErrorCode", I4), col("ErrorColumn", I4)],
                                    names=True), db("Warehouse")],
        flow=dict(components=[
            read_orders(),
            ole_db_destination("Write orders", props, err),
            mk.ff_destination("Write rejects", "Rejects", [("Read orders.Flat File Source Output.id", "id", I4),
                                                           ("Write orders.OLE DB Destination Error Output.ErrorCode", "ErrorCode", I4),
                                                           ("Write orders.OLE DB Destination Error Output.ErrorColumn", "ErrorColumn", I4)]),
        ], paths=[
            ("Read orders", "Flat File Source Output", "Write orders", "OLE DB Destination Input"),
            ("Write orders", "OLE DB Destination Error Output", "Write rejects", "Flat File Destination Input"),
        ]))


FAST = [("AccessMode", "3", "System.Int32"), ("OpenRowset", "orders"), ("FastLoadOptions", "TABLOCK,CHECK_CONSTRAINTS"),
        ("FastLoadKeepIdentity", "false", "System.Boolean"), ("FastLoadKeepNulls", "false", "System.Boolean"),
        ("FastLoadMaxInsertCommitSize", "2147483647", "System.Int32")]
COMMIT0 = [p if p[0] != "FastLoadMaxInsertCommitSize" else ("FastLoadMaxInsertCommitSize", "0", "System.Int32") for p in FAST]
ROW_BY_ROW_FROM_VARIABLE = [("AccessMode", "1", "System.Int32"), ("OpenRowsetVariable", "User::Table")]

LOAD = load("LoadOrders", 11, FAST)
LOAD_REDIRECT = load("LoadOrdersRedirect", 12, FAST, err="RedirectRow")
LOAD_COMMIT0 = load("LoadOrdersCommitAtEnd", 13, COMMIT0)
LOAD_VARIABLE = load("LoadOrdersFromVariable", 14, ROW_BY_ROW_FROM_VARIABLE, variables=[("Table", 8, "orders")])


def flat_out(columns):
    return cm("Out", "C:\\data\\out.csv", columns, qualifier='"', names=True)


def ole_db_source(props, columns=ORDER_COLUMNS):
    return dict(name="Read table", kind="OLEDBSource", contact="OLE DB Source", conn="Warehouse", slot="OleDbConnection",
                props=props,
                outputs=[dict(name="OLE DB Source Output", external=True, columns=columns),
                         dict(name="OLE DB Source Error Output", error=True, columns=[
                             col(c["name"], c["ty"]) for c in columns] + ERROR_COLUMNS)])


def extract(name, seed, props, variables=()):
    """OLE DB Source -> flat file."""
    return dict(
        name=name, seed=seed, variables=list(variables),
        managers=[db("Warehouse"), flat_out(ORDER_COLUMNS)],
        flow=dict(components=[
            ole_db_source(props),
            mk.ff_destination("Write file", "Out", [(f"Read table.OLE DB Source Output.{c}", c, ty)
                                                    for c, ty in [("id", I4), ("customer", STR50), ("amount", AMOUNT), ("ordered", DATE)]]),
        ], paths=[("Read table", "OLE DB Source Output", "Write file", "Flat File Destination Input")]))


# The parameter is mapped to User::MinId by its DTSID (the writer numbers variables from
# 0x66000000 + seed * 16).
EXTRACT = extract("ExtractOrders", 21, [
    ("AccessMode", "2", "System.Int32"),
    ("SqlCommand", "SELECT id, customer, amount, ordered FROM orders WHERE id > ? AND customer <> '?' ORDER BY id"),
    ("ParameterMapping", "\"Parameter0:Input\",{%08X-0000-4000-8000-000000000000};" % (0x66000000 + 21 * 16)),
    ("CommandTimeout", "0", "System.Int32")], variables=[("MinId", 3, "1")])
EXTRACT_VARIABLE = extract("ExtractOrdersFromVariable", 22, [
    ("AccessMode", "1", "System.Int32"), ("OpenRowsetVariable", "User::Table")], variables=[("Table", 8, "orders")])


def odbc_load():
    """Flat file -> ODBC Destination (batches of 1000, TransactionSize 0)."""
    return dict(
        name="OdbcLoad", seed=31,
        managers=[orders_file(), db("Target", "ODBC")],
        flow=dict(components=[
            read_orders(),
            dict(name="Write orders", kind="ODBCDestination", contact="ODBC Destination", conn="Target", slot="ODBCConnection",
                 props=[("TableName", "orders"), ("InsertMethod", "1", "System.Int32"), ("BatchSize", "1000", "System.Int32"),
                        ("TransactionSize", "0", "System.Int32")],
                 inputs=[dict(name="ODBC Destination Input", side_effects=True, columns=[
                     dict(**{"from": f"Read orders.Flat File Source Output.{c}", "external": c, "external_ty": ty})
                     for c, ty in [("id", I4), ("customer", STR50), ("amount", AMOUNT), ("ordered", DATE)]])],
                 outputs=[dict(name="ODBC Destination Error Output", sync="ODBC Destination Input", error=True, group=1,
                               columns=ERROR_COLUMNS)]),
        ], paths=[("Read orders", "Flat File Source Output", "Write orders", "ODBC Destination Input")]))


def sql_server_load():
    """Flat file -> SQL Server Destination (bulk load, BulkInsert* options as SSIS writes them)."""
    return dict(
        name="SqlServerLoad", seed=33,
        managers=[orders_file(), db("Warehouse")],
        flow=dict(components=[
            read_orders(),
            dict(name="Bulk orders", kind="SQLServerDestination", contact="SQL Server Destination", conn="Warehouse",
                 slot="OleDbConnection",
                 props=[("BulkInsertTableName", "[dbo].[orders]"), ("BulkInsertCheckConstraints", "true", "System.Boolean"),
                        ("BulkInsertFireTriggers", "false", "System.Boolean"), ("BulkInsertKeepIdentity", "false", "System.Boolean"),
                        ("BulkInsertKeepNulls", "false", "System.Boolean"), ("BulkInsertTablock", "true", "System.Boolean"),
                        ("BulkInsertFirstRow", "-1", "System.Int32"), ("BulkInsertLastRow", "-1", "System.Int32"),
                        ("BulkInsertMaxErrors", "-1", "System.Int32"), ("BulkInsertOrder", ""),
                        ("MaxInsertCommitSize", "0", "System.Int32"), ("Timeout", "30", "System.Int32"),
                        ("DefaultCodePage", "1252", "System.Int32"), ("AlwaysUseDefaultCodePage", "false", "System.Boolean")],
                 inputs=[dict(name="SQL Server Destination Input", side_effects=True, columns=[
                     dict(**{"from": f"Read orders.Flat File Source Output.{c}", "external": c, "external_ty": ty})
                     for c, ty in [("id", I4), ("customer", STR50), ("amount", AMOUNT), ("ordered", DATE)]])]),
        ], paths=[("Read orders", "Flat File Source Output", "Bulk orders", "SQL Server Destination Input")]))


def odbc_extract():
    """ODBC Source (table) -> flat file."""
    return dict(
        name="OdbcExtract", seed=32,
        managers=[db("Source", "ODBC"), flat_out(ORDER_COLUMNS)],
        flow=dict(components=[
            dict(name="Read table", kind="ODBCSource", contact="ODBC Source", conn="Source", slot="ODBCConnection",
                 props=[("AccessMode", "0", "System.Int32"), ("TableName", "orders"), ("BatchSize", "1000", "System.Int32"),
                        ("BindCharColumnAs", "0", "System.Int32"), ("ExposeCharColumnsAsUnicode", "false", "System.Boolean")],
                 outputs=[dict(name="ODBC Source Output", external=True, columns=ORDER_COLUMNS),
                          dict(name="ODBC Source Error Output", error=True, columns=[
                              col(c["name"], c["ty"]) for c in ORDER_COLUMNS] + ERROR_COLUMNS)]),
            mk.ff_destination("Write file", "Out", [(f"Read table.ODBC Source Output.{c}", c, ty)
                                                    for c, ty in [("id", I4), ("customer", STR50), ("amount", AMOUNT), ("ordered", DATE)]]),
        ], paths=[("Read table", "ODBC Source Output", "Write file", "Flat File Destination Input")]))


def command():
    """Flat file -> OLE DB Command (UPDATE per row; failing rows redirected) -> flat file."""
    return dict(
        name="UpdateOrders", seed=41,
        managers=[orders_file(), db("Warehouse"),
                  cm("Rejects", "C:\\data\\rejects.csv", [col("id", I4), col("ErrorCode", I4), col("ErrorColumn", I4)], names=True),
                  cm("Out", "C:\\data\\out.csv", [col("id", I4)], names=True)],
        flow=dict(components=[
            read_orders(),
            dict(name="Update amount", kind="OLEDBCommand", contact="OLE DB Command", conn="Warehouse", slot="OleDbConnection",
                 props=[("SqlCommand", "UPDATE orders SET amount = ? WHERE id = ?"), ("CommandTimeout", "0", "System.Int32")],
                 inputs=[dict(name="OLE DB Command Input", err="RedirectRow", columns=[
                     dict(**{"from": "Read orders.Flat File Source Output.amount", "external": "Param_0", "external_ty": AMOUNT}),
                     dict(**{"from": "Read orders.Flat File Source Output.id", "external": "Param_1", "external_ty": I4})])],
                 outputs=[dict(name="OLE DB Command Output", sync="OLE DB Command Input", group=1, columns=[]),
                          dict(name="OLE DB Command Error Output", sync="OLE DB Command Input", group=1, error=True,
                               columns=ERROR_COLUMNS)]),
            mk.ff_destination("Write updated", "Out", [("Read orders.Flat File Source Output.id", "id", I4)]),
            mk.ff_destination("Write rejects", "Rejects", [("Read orders.Flat File Source Output.id", "id", I4),
                                                           ("Update amount.OLE DB Command Error Output.ErrorCode", "ErrorCode", I4),
                                                           ("Update amount.OLE DB Command Error Output.ErrorColumn", "ErrorColumn", I4)]),
        ], paths=[
            ("Read orders", "Flat File Source Output", "Update amount", "OLE DB Command Input"),
            ("Update amount", "OLE DB Command Output", "Write updated", "Flat File Destination Input"),
            ("Update amount", "OLE DB Command Error Output", "Write rejects", "Flat File Destination Input"),
        ]))


# Lookups against a database table of codes: orders (Id, Code) are enriched with the code's
# Name and Rank. The reference metadata is what the designer writes for
# codes(code varchar(20), name varchar(30), rank integer) read as Unicode.
W20 = t("wstr", 20)
W30 = t("wstr", 30)
REFERENCE_METADATA = (
    '<referenceMetadata><referenceColumns>'
    '<referenceColumn name="code" dataType="DT_WSTR" length="20" precision="0" scale="0" codePage="0"/>'
    '<referenceColumn name="name" dataType="DT_WSTR" length="30" precision="0" scale="0" codePage="0"/>'
    '<referenceColumn name="rank" dataType="DT_I4" length="0" precision="0" scale="0" codePage="0"/>'
    '</referenceColumns></referenceMetadata>')
LOOKUP_SQL = "SELECT code, name, rank FROM codes"


def lookup_package(name, seed, cache_type, no_match, err, creation="OLEDB", extra=()):
    """Flat file -> Lookup (database reference) -> matched / unmatched / rejected files."""
    props = [("ConnectionType", "0", "System.Int32"), ("CacheType", str(cache_type), "System.Int32"),
             ("NoMatchBehavior", str(no_match), "System.Int32"), ("SqlCommand", LOOKUP_SQL),
             ("SqlCommandParam", f"select * from ({LOOKUP_SQL}) [refTable]\nwhere [refTable].[code] = ?"),
             ("ParameterMap", "{Read orders.Flat File Source Output.Code};"),
             ("ReferenceMetadataXml", REFERENCE_METADATA), ("DefaultCodePage", "1252", "System.Int32"),
             ("MaxMemoryUsage", "25", "System.Int32"), ("MaxMemoryUsage64", "25", "System.Int64"),
             ("NoMatchCachePercentage", "0", "System.Int32"),
             ("TreatDuplicateKeysAsError", "false", "System.Boolean")]
    props = [p for p in props if p[0] not in dict((e[0], 1) for e in extra)] + list(extra)
    slot = "OleDbConnection"
    return dict(
        name=name, seed=seed,
        managers=[
            cm("Orders", "C:\\data\\orders.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
            db("Codes", creation),
            cm("Matched", "C:\\data\\matched.csv", [col("Id", I4), col("Code", W20), col("Name", W30), col("Rank", I4)],
               code_page=65001, row="\n"),
            cm("Unmatched", "C:\\data\\unmatched.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
            cm("Rejects", "C:\\data\\rejects.csv", [col("Id", I4), col("ErrorCode", I4), col("ErrorColumn", I4)],
               code_page=65001, row="\n"),
        ],
        flow=dict(components=[
            mk.ff_source("Read orders", "Orders", [col("Id", I4), col("Code", W20)], retain_nulls=True, error_output=False),
            dict(name="Find code", kind="Lookup", contact="Lookup", conn="Codes", slot=slot, props=props,
                 inputs=[dict(name="Lookup Input", columns=[
                     dict(**{"from": "Read orders.Flat File Source Output.Code", "props": [("JoinToReferenceColumn", "code")]})])],
                 outputs=[dict(name="Lookup Match Output", sync="Lookup Input", group=1, err=err, columns=[
                     col("Name", W30, props=[("CopyFromReferenceColumn", "name")]),
                     col("Rank", I4, props=[("CopyFromReferenceColumn", "rank")])]),
                     dict(name="Lookup No Match Output", sync="Lookup Input", group=1, columns=[]),
                     dict(name="Lookup Error Output", sync="Lookup Input", group=1, error=True, columns=ERROR_COLUMNS)]),
            mk.ff_destination("Write matched", "Matched", [("Read orders.Flat File Source Output.Id", "Id", I4),
                                                         ("Read orders.Flat File Source Output.Code", "Code", W20),
                                                         ("Find code.Lookup Match Output.Name", "Name", W30),
                                                         ("Find code.Lookup Match Output.Rank", "Rank", I4)]),
            mk.ff_destination("Write unmatched", "Unmatched", [("Read orders.Flat File Source Output.Id", "Id", I4),
                                                             ("Read orders.Flat File Source Output.Code", "Code", W20)]),
            mk.ff_destination("Write rejects", "Rejects", [("Read orders.Flat File Source Output.Id", "Id", I4),
                                                         ("Find code.Lookup Error Output.ErrorCode", "ErrorCode", I4),
                                                         ("Find code.Lookup Error Output.ErrorColumn", "ErrorColumn", I4)]),
        ], paths=[
            ("Read orders", "Flat File Source Output", "Find code", "Lookup Input"),
            ("Find code", "Lookup Match Output", "Write matched", "Flat File Destination Input"),
            ("Find code", "Lookup No Match Output", "Write unmatched", "Flat File Destination Input"),
            ("Find code", "Lookup Error Output", "Write rejects", "Flat File Destination Input"),
        ]))


# Full cache, misses to the no-match output; partial cache (1 MB, a quarter for misses),
# misses redirected to the error output; no cache through an ODBC connection manager, misses
# ignored (NULL reference columns); full cache through an ADO.NET manager (System.Data.Odbc).
LOOKUP_FULL = lookup_package("LookupCodesFull", 51, 0, 1, "FailComponent")
LOOKUP_PARTIAL = lookup_package("LookupCodesPartial", 52, 1, 0, "RedirectRow",
                                extra=[("MaxMemoryUsage64", "1", "System.Int64"), ("NoMatchCachePercentage", "25", "System.Int32")])
LOOKUP_NO_CACHE = lookup_package("LookupCodesNoCache", 53, 2, 0, "IgnoreFailure", creation="ODBC")
LOOKUP_ADO_NET = lookup_package(
    "LookupCodesAdoNet", 54, 0, 1, "FailComponent",
    creation="ADO.NET:System.Data.Odbc.OdbcConnection, System.Data, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089")



def lookup_to_table():
    """Flat file -> Lookup (full cache) -> OLE DB Destination (fast load into `enriched`)."""
    spec = lookup_package("LookupCodesToTable", 55, 0, 1, "FailComponent")
    comps = [c for c in spec["flow"]["components"] if c["name"] in ("Read orders", "Find code")]
    comps.append(dict(
        name="Write enriched", kind="OLEDBDestination", contact="OLE DB Destination", conn="Codes", slot="OleDbConnection",
        props=[("AccessMode", "3", "System.Int32"), ("OpenRowset", "enriched"), ("FastLoadOptions", ""),
               ("FastLoadKeepIdentity", "false", "System.Boolean"), ("FastLoadKeepNulls", "true", "System.Boolean"),
               ("FastLoadMaxInsertCommitSize", "2147483647", "System.Int32")],
        inputs=[dict(name="OLE DB Destination Input", side_effects=True, columns=[
            dict(**{"from": src, "external": ext, "external_ty": ty})
            for src, ext, ty in [("Read orders.Flat File Source Output.Id", "id", I4),
                                 ("Read orders.Flat File Source Output.Code", "code", W20),
                                 ("Find code.Lookup Match Output.Name", "name", W30),
                                 ("Find code.Lookup Match Output.Rank", "rank", I4)]])],
        outputs=[dict(name="OLE DB Destination Error Output", sync="OLE DB Destination Input", error=True, group=1,
                      columns=ERROR_COLUMNS)]))
    spec["flow"] = dict(components=comps, paths=[
        ("Read orders", "Flat File Source Output", "Find code", "Lookup Input"),
        ("Find code", "Lookup Match Output", "Write enriched", "OLE DB Destination Input")])
    return spec



mk.CLASS["SCD"] = ("{25BBB0C5-369B-4303-B3DF-D0DC741DEE58}", "{25BBB0C5-369B-4303-B3DF-D0DC741DEE58}")
MEMBER = [("bk", I4), ("name", W30), ("city", W30), ("country", W20)]


def scd():
    """The Slowly Changing Dimension wizard's flow over dim_member (business key bk; name
    changing, city historical, country fixed; inferred members flagged by `inferred`): changing
    updates and inferred members through OLE DB Commands, historical rows expired by an OLE DB
    Command and their new version inserted, new members inserted, fixed-attribute and unchanged
    rows written to files."""
    src = "Read members.Flat File Source Output"

    def command(name, frm, sql, params):
        return dict(name=name, kind="OLEDBCommand", contact="OLE DB Command", conn="Warehouse", slot="OleDbConnection",
                    props=[("SqlCommand", sql), ("CommandTimeout", "0", "System.Int32")],
                    inputs=[dict(name="OLE DB Command Input", columns=[
                        dict(**{"from": f"{src}.{c}", "external": f"Param_{i}", "external_ty": dict(MEMBER)[c]})
                        for i, c in enumerate(params)])],
                    outputs=[dict(name="OLE DB Command Output", sync="OLE DB Command Input", group=1, columns=[]),
                             dict(name="OLE DB Command Error Output", sync="OLE DB Command Input", group=1, error=True,
                                  columns=ERROR_COLUMNS)])

    def insert(name):
        return dict(name=name, kind="OLEDBDestination", contact="OLE DB Destination", conn="Warehouse", slot="OleDbConnection",
                    props=[("AccessMode", "3", "System.Int32"), ("OpenRowset", "dim_member"), ("FastLoadOptions", ""),
                           ("FastLoadKeepIdentity", "false", "System.Boolean"), ("FastLoadKeepNulls", "false", "System.Boolean"),
                           ("FastLoadMaxInsertCommitSize", "2147483647", "System.Int32")],
                    inputs=[dict(name="OLE DB Destination Input", side_effects=True, columns=[
                        dict(**{"from": f"{src}.{c}", "external": c, "external_ty": ty}) for c, ty in MEMBER])],
                    outputs=[dict(name="OLE DB Destination Error Output", sync="OLE DB Destination Input", error=True,
                                  group=1, columns=ERROR_COLUMNS)])

    outputs = [("Unchanged Output", 1), ("New Output", 1), ("Fixed Attribute Output", 1),
               ("Changing Attribute Updates Output", 1), ("Historical Attribute Inserts Output", 2),
               ("Inferred Member Updates Output", 1)]
    kinds = {"bk": "1", "name": "2", "city": "3", "country": "4"}
    return dict(
        name="DimMember", seed=61,
        managers=[
            cm("Members", "C:\\data\\members.csv", [col(c, ty) for c, ty in MEMBER], code_page=65001, row="\n"),
            db("Warehouse"),
            cm("Fixed", "C:\\data\\fixed.csv", [col("bk", I4), col("country", W20)], code_page=65001, row="\n"),
            cm("Unchanged", "C:\\data\\unchanged.csv", [col("bk", I4)], code_page=65001, row="\n"),
        ],
        flow=dict(components=[
            mk.ff_source("Read members", "Members", [col(c, ty) for c, ty in MEMBER], retain_nulls=True, error_output=False),
            dict(name="Slowly Changing Dimension", kind="SCD", contact="Slowly Changing Dimension", conn="Warehouse",
                 slot="LookupConnection",
                 props=[("SqlCommand", "SELECT [bk], [name], [city], [country], [inferred], [start_date], [end_date] FROM [dim_member]"),
                        ("CurrentRowWhere", "[start_date] IS NOT NULL AND [end_date] IS NULL"),
                        ("UpdateChangingAttributeHistory", "false", "System.Boolean"),
                        ("FailOnFixedAttributeChange", "false", "System.Boolean"),
                        ("InferredMemberIndicator", "inferred"), ("EnableInferredMember", "true", "System.Boolean"),
                        ("FailOnLookupFailure", "false", "System.Boolean"), ("IncomingRowChangeType", "1", "System.Int32"),
                        ("DefaultCodePage", "1252", "System.Int32")],
                 inputs=[dict(name="Slowly Changing Dimension Input", columns=[
                     dict(**{"from": f"{src}.{c}", "external": c, "external_ty": ty, "props": [("ColumnType", kinds[c], "System.Int32")]})
                     for c, ty in MEMBER])],
                 outputs=[dict(name=o, sync="Slowly Changing Dimension Input", group=g, columns=[]) for o, g in outputs]),
            command("Update changing attributes", "Changing Attribute Updates Output",
                    "UPDATE dim_member SET name = ? WHERE bk = ?", ["name", "bk"]),
            command("Expire historical rows", "Historical Attribute Inserts Output",
                    "UPDATE dim_member SET end_date = CURRENT_DATE WHERE bk = ? AND end_date IS NULL", ["bk"]),
            insert("Insert new versions"),
            insert("Insert new members"),
            command("Update inferred members", "Inferred Member Updates Output",
                    "UPDATE dim_member SET name = ?, city = ?, country = ?, inferred = false WHERE bk = ?",
                    ["name", "city", "country", "bk"]),
            mk.ff_destination("Write fixed", "Fixed", [(f"{src}.bk", "bk", I4), (f"{src}.country", "country", W20)]),
            mk.ff_destination("Write unchanged", "Unchanged", [(f"{src}.bk", "bk", I4)]),
        ], paths=[
            ("Read members", "Flat File Source Output", "Slowly Changing Dimension", "Slowly Changing Dimension Input"),
            ("Slowly Changing Dimension", "Unchanged Output", "Write unchanged", "Flat File Destination Input"),
            ("Slowly Changing Dimension", "New Output", "Insert new members", "OLE DB Destination Input"),
            ("Slowly Changing Dimension", "Fixed Attribute Output", "Write fixed", "Flat File Destination Input"),
            ("Slowly Changing Dimension", "Changing Attribute Updates Output", "Update changing attributes", "OLE DB Command Input"),
            ("Slowly Changing Dimension", "Historical Attribute Inserts Output", "Expire historical rows", "OLE DB Command Input"),
            ("Expire historical rows", "OLE DB Command Output", "Insert new versions", "OLE DB Destination Input"),
            ("Slowly Changing Dimension", "Inferred Member Updates Output", "Update inferred members", "OLE DB Command Input"),
        ]))


if __name__ == "__main__":
    for spec, stem in [(LOAD, "load"), (LOAD_REDIRECT, "load_redirect"), (LOAD_COMMIT0, "load_commit_at_end"),
                       (LOAD_VARIABLE, "load_from_variable"), (EXTRACT, "extract"), (EXTRACT_VARIABLE, "extract_from_variable"),
                       (odbc_load(), "odbc_load"), (odbc_extract(), "odbc_extract"), (sql_server_load(), "sql_server_load"), (command(), "command"),
                       (LOOKUP_FULL, "lookup_full"), (LOOKUP_PARTIAL, "lookup_partial"), (LOOKUP_NO_CACHE, "lookup_no_cache"),
                       (LOOKUP_ADO_NET, "lookup_ado_net"), (lookup_to_table(), "lookup_to_table"),
                       (scd(), "scd")]:
        for fmt, suffix in [(3, "2008"), (8, "2016")]:
            with open(f"{stem}_{suffix}.dtsx", "w", encoding="utf-8") as f:
                f.write(mk.package(spec, fmt))
