#!/usr/bin/env python3
"""Writes the Excel data-flow test packages of this folder, each in the 2008 layout (format 3,
class GUIDs) and the 2016+ layout (format 8, `Microsoft.*` monikers), with the writer of
../data_flow/make_packages.py. The Excel connection managers name placeholder workbooks; the
tests point them at workbooks in a temporary folder with /Conn. Run it from this folder after
changing a description; the tests read the .dtsx files it writes.
"""

import os
import sys
from xml.sax.saxutils import quoteattr, escape

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data_flow"))
import make_packages as mk  # noqa: E402

mk.CLASS.update({
    "ExcelSource": ("{A4B1E1C8-17F3-46C8-AAD0-34F0C6FE42DE}", "Microsoft.ExcelSource"),
    "ExcelDestination": ("{C9269E28-EBDE-4DED-91EB-0BF42842F9F4}", "Microsoft.ExcelDestination"),
})
# Flat-file DataType codes of DT_DATE and DT_BOOL.
mk.CODES.update({"date": 7, "bool": 11})

t, col, cm = mk.t, mk.col, mk.cm


def excel_manager(m, fmt, dtsid):
    """An Excel connection manager (an ACE OLE DB connection string)."""
    ident = "{%08X-0000-4000-8000-000000000000}" % dtsid
    if fmt == 8:
        return (f'<DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[{m["name"]}]" DTS:CreationName="EXCEL" '
                f'DTS:DTSID="{ident}" DTS:ObjectName="{m["name"]}"><DTS:ObjectData>'
                f'<DTS:ConnectionManager DTS:ConnectionString={quoteattr(m["connection_string"])}/></DTS:ObjectData></DTS:ConnectionManager>')
    return (f'<DTS:ConnectionManager><DTS:Property DTS:Name="DelayValidation">0</DTS:Property>'
            f'<DTS:Property DTS:Name="ObjectName">{m["name"]}</DTS:Property><DTS:Property DTS:Name="DTSID">{ident}</DTS:Property>'
            f'<DTS:Property DTS:Name="CreationName">EXCEL</DTS:Property><DTS:ObjectData><DTS:ConnectionManager>'
            f'<DTS:Property DTS:Name="Retain">0</DTS:Property><DTS:Property DTS:Name="ConnectionString">{escape(m["connection_string"])}</DTS:Property>'
            f'</DTS:ConnectionManager></DTS:ObjectData></DTS:ConnectionManager>')


def excel(name, path, header=True, jet=False):
    hdr = "YES" if header else "NO"
    if jet:
        text = f'Provider=Microsoft.Jet.OLEDB.4.0;Data Source={path};Extended Properties="EXCEL 8.0;HDR={hdr}";'
    else:
        text = f'Provider=Microsoft.ACE.OLEDB.12.0;Data Source={path};Extended Properties="Excel 12.0 XML;HDR={hdr}";'
    return dict(name=name, connection_string=text, writer=excel_manager)


I4 = t("i4")
R8 = t("r8")
WSTR255 = t("wstr", 255)
STR50 = t("str", 50, code_page=1252)
AMOUNT = t("numeric", precision=12, scale=2)
DBDATE = t("dbDate")
DATE = t("date")
BOOL = t("bool")
ERROR_COLUMNS = [col("ErrorCode", I4, special=1), col("ErrorColumn", I4, special=2)]


def excel_source(name, props, columns):
    return dict(name=name, kind="ExcelSource", contact="Excel Source", conn="Book", slot="OleDbConnection", props=props,
                outputs=[dict(name="Excel Source Output", external=True, columns=columns),
                         dict(name="Excel Source Error Output", error=True, columns=[
                             col(c["name"], c["ty"]) for c in columns] + ERROR_COLUMNS)])


# Products$: id (a number; i4 here, rows whose id does not fit are redirected), name, price,
# added (a date), active (a Boolean).
PRODUCT_COLUMNS = [col("id", I4, err="RedirectRow"), col("name", WSTR255), col("price", R8), col("added", DATE),
                   col("active", BOOL)]


def read_products():
    """Excel Source (sheet Products$, HDR=YES) -> flat file; rows that do not convert -> rejects."""
    names = [c["name"] for c in PRODUCT_COLUMNS]
    return dict(
        name="ReadProducts", seed=51,
        managers=[excel("Book", "C:\\data\\products.xlsx"),
                  cm("Out", "C:\\data\\out.csv", [col(c["name"], c["ty"]) for c in PRODUCT_COLUMNS], qualifier='"', names=True),
                  cm("Rejects", "C:\\data\\rejects.csv", [col("ErrorCode", I4), col("ErrorColumn", I4)], names=True)],
        flow=dict(components=[
            excel_source("Read sheet", [("AccessMode", "0", "System.Int32"), ("OpenRowset", "Products$"),
                                        ("CommandTimeout", "0", "System.Int32")], PRODUCT_COLUMNS),
            mk.ff_destination("Write file", "Out", [(f"Read sheet.Excel Source Output.{n}", n, c["ty"])
                                                    for n, c in zip(names, PRODUCT_COLUMNS)]),
            mk.ff_destination("Write rejects", "Rejects", [("Read sheet.Excel Source Error Output.ErrorCode", "ErrorCode", I4),
                                                           ("Read sheet.Excel Source Error Output.ErrorColumn", "ErrorColumn", I4)]),
        ], paths=[("Read sheet", "Excel Source Output", "Write file", "Flat File Destination Input"),
                  ("Read sheet", "Excel Source Error Output", "Write rejects", "Flat File Destination Input")]))


def read_raw():
    """Excel Source (SQL command over a sheet without a header row, HDR=NO) -> flat file."""
    columns = [col("F1", WSTR255), col("amount", R8)]
    return dict(
        name="ReadRaw", seed=52,
        managers=[excel("Book", "C:\\data\\raw.xlsx", header=False),
                  cm("Out", "C:\\data\\out.csv", columns, qualifier='"', names=True)],
        flow=dict(components=[
            excel_source("Read sheet", [("AccessMode", "2", "System.Int32"),
                                        ("SqlCommand", "SELECT TOP 3 F1, [F3] AS amount FROM [Raw$]")], columns),
            mk.ff_destination("Write file", "Out", [("Read sheet.Excel Source Output.F1", "F1", WSTR255),
                                                    ("Read sheet.Excel Source Output.amount", "amount", R8)]),
        ], paths=[("Read sheet", "Excel Source Output", "Write file", "Flat File Destination Input")]))


ORDER_COLUMNS = [col("id", I4), col("customer", STR50), col("amount", AMOUNT), col("ordered", DBDATE)]


def write_orders():
    """Flat file -> Excel Destination (sheet Orders$); rows a cell cannot hold -> rejects."""
    sheet_types = [("id", R8), ("customer", WSTR255), ("amount", R8), ("ordered", DATE)]
    return dict(
        name="WriteOrders", seed=53,
        managers=[cm("Orders", "C:\\data\\orders.csv", ORDER_COLUMNS, qualifier='"', names=True),
                  excel("Book", "C:\\data\\orders.xlsx"),
                  cm("Rejects", "C:\\data\\rejects.csv", [col("id", I4), col("ErrorCode", I4), col("ErrorColumn", I4)],
                     names=True)],
        flow=dict(components=[
            mk.ff_source("Read orders", "Orders", ORDER_COLUMNS, error_output=False),
            dict(name="Write sheet", kind="ExcelDestination", contact="Excel Destination", conn="Book", slot="OleDbConnection",
                 props=[("AccessMode", "0", "System.Int32"), ("OpenRowset", "Orders$"),
                        ("FastLoadMaxInsertCommitSize", "2147483647", "System.Int32")],
                 inputs=[dict(name="Excel Destination Input", side_effects=True, err="RedirectRow", columns=[
                     dict(**{"from": f"Read orders.Flat File Source Output.{c}", "external": c, "external_ty": ty})
                     for c, ty in sheet_types])],
                 outputs=[dict(name="Excel Destination Error Output", sync="Excel Destination Input", error=True, group=1,
                               columns=ERROR_COLUMNS)]),
            mk.ff_destination("Write rejects", "Rejects", [("Read orders.Flat File Source Output.id", "id", I4),
                                                           ("Write sheet.Excel Destination Error Output.ErrorCode", "ErrorCode", I4),
                                                           ("Write sheet.Excel Destination Error Output.ErrorColumn", "ErrorColumn", I4)]),
        ], paths=[("Read orders", "Flat File Source Output", "Write sheet", "Excel Destination Input"),
                  ("Write sheet", "Excel Destination Error Output", "Write rejects", "Flat File Destination Input")]))


if __name__ == "__main__":
    for spec, stem in [(read_products(), "read_products"), (read_raw(), "read_raw"), (write_orders(), "write_orders")]:
        for fmt, suffix in [(3, "2008"), (8, "2016")]:
            with open(f"{stem}_{suffix}.dtsx", "w", encoding="utf-8") as f:
                f.write(mk.package(spec, fmt))
