#!/usr/bin/env python3
"""Writes the Script Component test packages of this folder with the data-flow writer of
../data_flow/make_packages.py (2016+ layout; the transform also in the 2008 layout): a
synchronous transform that upper-cases a column with a NULL in it and adds a column, a source
that makes rows, a destination that writes a file and a ReadWrite variable (read back by a
second data flow's source), a script that does not compile, and one that throws. Run it from
this folder after changing a description.
"""

import importlib.util
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("df", os.path.join(HERE, "..", "data_flow", "make_packages.py"))
df = importlib.util.module_from_spec(spec)
spec.loader.exec_module(df)

df.CLASS["ScriptComponent"] = ("{2E42D45B-F83C-400F-8D77-61DDE6A7DF29}", "Microsoft.ManagedComponentHost")
df.CLASS["Trash"] = ("SSISD.TrashDestination", "SSISD.TrashDestination")
df.CODES.update({"dbTimestamp": 135, "i8": 20})
t, col, cm = df.t, df.col, df.cm

HEAD = """using System;
using System.Data;
using Microsoft.SqlServer.Dts.Pipeline.Wrapper;
using Microsoft.SqlServer.Dts.Runtime.Wrapper;

[Microsoft.SqlServer.Dts.Pipeline.SSISScriptComponentEntryPointAttribute]
public class ScriptMain : UserComponent
{
"""


def script(name, key, body, read_only="", read_write=""):
    """The custom properties of a Script Component whose main.cs holds `body`."""
    return [("SourceCode", "@@SOURCE:" + key + "@@"), ("BinaryCode", "@@BINARY@@"),
            ("VSTAProjectName", "SC_" + name), ("ScriptLanguage", "CSharp"),
            ("ReadOnlyVariables", read_only), ("ReadWriteVariables", read_write),
            ("UserComponentTypeName", "@@HOST@@")], HEAD + body + "}\n"


SOURCES = {}


def component(name, body, read_only="", read_write="", **rest):
    key = f"{len(SOURCES)}"
    props, code = script(name, key, body, read_only, read_write)
    SOURCES[key] = (name, code)
    return dict(name=name, kind="ScriptComponent", contact="Executes a custom script.;Microsoft Corporation; Microsoft SQL Server; (C) Microsoft Corporation; All Rights Reserved; http://www.microsoft.com/sql/support;10",
                props=props, **rest)


def finish(xml, fmt):
    host = ("Microsoft.ScriptComponentHost" if fmt == 8 else
            "Microsoft.SqlServer.Dts.Pipeline.ScriptComponentHost, Microsoft.SqlServer.TxScript, Version=10.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91")
    xml = xml.replace(">@@HOST@@<", ">" + escape(host) + "<")
    xml = xml.replace('<property name="BinaryCode" dataType="System.String">@@BINARY@@</property>',
                      '<property name="BinaryCode" dataType="System.String" isArray="true"><arrayElements arrayElementCount="0"/></property>')
    for key, (name, code) in SOURCES.items():
        files = [("main.cs", code), ("Properties\\AssemblyInfo.cs", "[assembly: System.Reflection.AssemblyTitle(\"SC_" + name + "\")]\n"),
                 ("BufferWrapper.cs", "/* regenerated from the metadata at run time */\n")]
        if fmt == 8:
            els = "".join(f'<arrayElement dataType="System.String"><![CDATA[{n}]]></arrayElement>'
                          f'<arrayElement dataType="System.String"><![CDATA[UTF8]]></arrayElement>'
                          f'<arrayElement dataType="System.String"><![CDATA[{c}]]></arrayElement>' for n, c in files)
            count = 3 * len(files)
        else:
            els = "".join(f'<arrayElement dataType="System.String"><![CDATA[\\{n.lower()}]]></arrayElement>'
                          f'<arrayElement dataType="System.String"><![CDATA[{c}]]></arrayElement>' for n, c in files)
            count = 2 * len(files)
        xml = xml.replace(f'<property name="SourceCode" dataType="System.String">@@SOURCE:{key}@@</property>',
                          f'<property name="SourceCode" dataType="System.String" isArray="true" state="cdata"><arrayElements arrayElementCount="{count}">{els}</arrayElements></property>')
    return xml


NAME20 = t("wstr", 20)
PEOPLE_COLS = [col("name", t("str", 20, code_page=1252)), col("city", t("str", 20, code_page=1252))]

UPPER_BODY = """    int rows;

    public override void PreExecute()
    {
        base.PreExecute();
        bool again = true;
        ComponentMetaData.FireInformation(7, "Upper", "prefix " + Variables.Prefix, "", 0, ref again);
    }

    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        rows++;
        if (Row.city_IsNull)
        {
            Row.citylength_IsNull = true;
            return;
        }
        Row.city = Row.city.ToUpperInvariant();
        Row.citylength = Row.city.Length;
        Row.label = Variables.Prefix + Row.name;
    }

    public override void PostExecute()
    {
        base.PostExecute();
        Variables.Rows = rows;
    }
"""

TRANSFORM = dict(
    name="ScriptTransform", seed=41,
    variables=[("Prefix", 8, "n:"), ("Rows", 3, "0")],
    managers=[cm("People", "C:\\data\\people.csv", PEOPLE_COLS, names=True, row="\n"),
              cm("Out", "C:\\data\\out.csv", [col("name", t("str", 20, code_page=1252)), col("city", t("str", 20, code_page=1252)),
                                              col("citylength", t("i4")), col("label", t("str", 30, code_page=1252))], row="\n")],
    flow=dict(components=[
        df.ff_source("Read people", "People", PEOPLE_COLS, retain_nulls=True, error_output=False),
        component("Upper", UPPER_BODY, read_only="User::Prefix", read_write="User::Rows",
                  inputs=[dict(name="Input 0", columns=[
                      {"from": "Read people.Flat File Source Output.name"},
                      {"from": "Read people.Flat File Source Output.city", "rw": True}])],
                  outputs=[dict(name="Output 0", sync="Input 0", columns=[col("citylength", t("i4")), col("label", NAME20)])]),
        df.ff_destination("Write", "Out", [("Read people.Flat File Source Output.name", "name", t("str", 20, code_page=1252)),
                                           ("Read people.Flat File Source Output.city", "city", t("str", 20, code_page=1252)),
                                           ("Upper.Output 0.citylength", "citylength", t("i4")),
                                           ("Upper.Output 0.label", "label", t("wstr", 30))]),
    ], paths=[("Read people", "Flat File Source Output", "Upper", "Input 0"),
              ("Upper", "Output 0", "Write", "Flat File Destination Input")]),
)

SOURCE_BODY = """    public override void CreateNewOutputRows()
    {
        for (int i = 1; i <= Variables.Count; i++)
        {
            Output0Buffer.AddRow();
            Output0Buffer.id = i;
            if (i % 3 == 0) Output0Buffer.name_IsNull = true; else Output0Buffer.name = "row " + i;
            Output0Buffer.amount = i * 1.25m;
            Output0Buffer.made = new DateTime(2024, 1, i, 10, 30, 0);
        }
    }
"""

GENERATED = [col("id", t("i4")), col("name", NAME20), col("amount", t("numeric", precision=10, scale=2)),
             col("made", t("dbTimestamp"))]

SOURCE = dict(
    name="ScriptSource", seed=42,
    variables=[("Count", 3, "5")],
    managers=[cm("Out", "C:\\data\\out.csv", [col("id", t("i4")), col("name", t("wstr", 20)),
                                              col("amount", t("numeric", precision=10, scale=2)), col("made", t("dbTimestamp"))], row="\n", unicode=False, code_page=65001)],
    flow=dict(components=[
        component("Make rows", SOURCE_BODY, read_only="User::Count",
                  outputs=[dict(name="Output 0", columns=GENERATED)]),
        df.ff_destination("Write", "Out", [(f"Make rows.Output 0.{c}", c, ty) for c, ty in
                                           [("id", t("i4")), ("name", NAME20), ("amount", t("numeric", precision=10, scale=2)), ("made", t("dbTimestamp"))]]),
    ], paths=[("Make rows", "Output 0", "Write", "Flat File Destination Input")]),
)

DEST_BODY = """    System.IO.StreamWriter writer;
    int total;

    public override void PreExecute()
    {
        base.PreExecute();
        writer = new System.IO.StreamWriter(Variables.OutFile);
    }

    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        total++;
        writer.WriteLine((Row.name_IsNull ? "<null>" : Row.name) + "|" + (Row.city_IsNull ? "<null>" : Row.city));
    }

    public override void PostExecute()
    {
        base.PostExecute();
        writer.Close();
        Variables.Total = total;
        bool again = true;
        ComponentMetaData.FireInformation(0, "", "wrote " + total + " rows", "", 0, ref again);
    }
"""

READ_BACK_BODY = """    public override void CreateNewOutputRows()
    {
        Output0Buffer.AddRow();
        Output0Buffer.total = Variables.Total;
    }
"""

DESTINATION = dict(
    name="ScriptDestination", seed=43,
    variables=[("OutFile", 8, "/tmp/out.txt"), ("Total", 3, "0")],
    managers=[cm("People", "C:\\data\\people.csv", PEOPLE_COLS, names=True, row="\n"),
              cm("Total", "C:\\data\\total.csv", [col("total", t("i4"))], row="\n")],
    tasks=[
        ("Load", dict(components=[
            df.ff_source("Read people", "People", PEOPLE_COLS, retain_nulls=True, error_output=False),
            component("Write rows", DEST_BODY, read_only="User::OutFile", read_write="User::Total",
                      inputs=[dict(name="Input 0", side_effects=True, columns=[
                          {"from": "Read people.Flat File Source Output.name"},
                          {"from": "Read people.Flat File Source Output.city"}])]),
        ], paths=[("Read people", "Flat File Source Output", "Write rows", "Input 0")])),
        ("Read back", dict(components=[
            component("Total", READ_BACK_BODY, read_only="User::Total",
                      outputs=[dict(name="Output 0", columns=[col("total", t("i4"))])]),
            df.ff_destination("Write total", "Total", [("Total.Output 0.total", "total", t("i4"))]),
        ], paths=[("Total", "Output 0", "Write total", "Flat File Destination Input")])),
    ],
)

SPLIT_BODY = """    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        if (Row.city_IsNull) return;
        foreach (string part in Row.name.Split('n'))
        {
            Output0Buffer.AddRow();
            Output0Buffer.part = part;
            Output0Buffer.city = Row.city;
        }
    }

    public override void FinishOutputs()
    {
        Output0Buffer.AddRow();
        Output0Buffer.part = "end";
        Output0Buffer.city_IsNull = true;
        base.FinishOutputs();
    }
"""

ASYNC = dict(
    name="ScriptAsync", seed=46, variables=[],
    managers=[cm("People", "C:\\data\\people.csv", PEOPLE_COLS, names=True, row="\n"),
              cm("Out", "C:\\data\\out.csv", [col("part", t("str", 20, code_page=1252)), col("city", t("str", 20, code_page=1252))], row="\n")],
    flow=dict(components=[
        df.ff_source("Read people", "People", PEOPLE_COLS, retain_nulls=True, error_output=False),
        component("Split", SPLIT_BODY, inputs=[dict(name="Input 0", columns=[
            {"from": "Read people.Flat File Source Output.name"},
            {"from": "Read people.Flat File Source Output.city"}])],
            outputs=[dict(name="Output 0", columns=[col("part", NAME20), col("city", NAME20)])]),
        df.ff_destination("Write", "Out", [("Split.Output 0.part", "part", t("str", 20, code_page=1252)),
                                           ("Split.Output 0.city", "city", t("str", 20, code_page=1252))]),
    ], paths=[("Read people", "Flat File Source Output", "Split", "Input 0"),
              ("Split", "Output 0", "Write", "Flat File Destination Input")]),
)

UPPER_ONLY = """    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        if (!Row.name_IsNull) Row.name = Row.name.ToUpperInvariant();
    }
"""

ROWS_COLS = [col("id", t("i4")), col("name", t("str", 20, code_page=1252))]


def trash(name, inp):
    return dict(name=name, kind="Trash", contact="Trash Destination",
                inputs=[dict(name="Trash Input", side_effects=True, columns=[])])


# The benchmark's package: the same upper-casing by a Script Component and by a Derived Column.
BENCH = dict(
    name="ScriptBench", seed=47, variables=[],
    managers=[cm("Rows", "C:\\data\\rows.csv", ROWS_COLS, names=False, row="\n")],
    tasks=[
        ("Script", dict(components=[
            df.ff_source("Read", "Rows", ROWS_COLS, error_output=False),
            component("Upper", UPPER_ONLY, inputs=[dict(name="Input 0", columns=[
                {"from": "Read.Flat File Source Output.name", "rw": True}])],
                outputs=[dict(name="Output 0", sync="Input 0", columns=[])]),
            trash("Discard", "Trash Input"),
        ], paths=[("Read", "Flat File Source Output", "Upper", "Input 0"),
                  ("Upper", "Output 0", "Discard", "Trash Input")])),
        ("Derived", dict(components=[
            df.ff_source("Read", "Rows", ROWS_COLS, error_output=False),
            dict(name="Derive", kind="DerivedColumn", contact="Derived Column",
                 inputs=[dict(name="Derived Column Input", columns=[
                     dict(**{"from": "Read.Flat File Source Output.name", "rw": True,
                             "props": [("Expression", "UPPER({Read.Flat File Source Output.name})")]})])],
                 outputs=[dict(name="Derived Column Output", sync="Derived Column Input", columns=[])]),
            trash("Discard", "Trash Input"),
        ], paths=[("Read", "Flat File Source Output", "Derive", "Derived Column Input"),
                  ("Derive", "Derived Column Output", "Discard", "Trash Input")])),
        ("Read only", dict(components=[
            df.ff_source("Read", "Rows", ROWS_COLS, error_output=False),
            trash("Discard", "Trash Input"),
        ], paths=[("Read", "Flat File Source Output", "Discard", "Trash Input")])),
    ],
)

BROKEN_BODY = """    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        Row.city = Row.missing;
    }
"""

THROWS_BODY = """    public override void Input0_ProcessInputRow(Input0Buffer Row)
    {
        if (Row.city_IsNull) Explain(Row.name);
    }

    void Explain(string who)
    {
        throw new InvalidOperationException("no city for " + who);
    }
"""


def single(name, seed, body, comp):
    return dict(
        name=name, seed=seed, variables=[],
        managers=[cm("People", "C:\\data\\people.csv", PEOPLE_COLS, names=True, row="\n")],
        flow=dict(components=[
            df.ff_source("Read people", "People", PEOPLE_COLS, retain_nulls=True, error_output=False),
            component(comp, body, inputs=[dict(name="Input 0", side_effects=True, columns=[
                {"from": "Read people.Flat File Source Output.name"},
                {"from": "Read people.Flat File Source Output.city", "rw": True}])]),
        ], paths=[("Read people", "Flat File Source Output", comp, "Input 0")]),
    )


if __name__ == "__main__":
    os.chdir(HERE)
    for spec_, stem, formats in [(TRANSFORM, "transform", [(3, "2008"), (8, "2016")]), (SOURCE, "source", [(8, "2016")]), (ASYNC, "async", [(8, "2016")]),
                                 (BENCH, "bench", [(8, "2016")]),
                                 (DESTINATION, "destination", [(8, "2016")]),
                                 (single("ScriptBroken", 44, BROKEN_BODY, "Broken"), "compile_error", [(8, "2016")]),
                                 (single("ScriptThrows", 45, THROWS_BODY, "Check"), "throws", [(8, "2016")])]:
        for fmt, suffix in formats:
            with open(f"{stem}_{suffix}.dtsx", "w", encoding="utf-8") as f:
                f.write(finish(df.package(spec_, fmt), fmt))
