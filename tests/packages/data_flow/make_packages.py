#!/usr/bin/env python3
"""Writes the data-flow test packages of this folder, each in the 2008 layout (format 3:
numeric ids, `#lineage` expressions, class GUIDs) and the 2016+ layout (format 8: refIds,
`#{refId}` expressions, `Microsoft.*` monikers), from one description per package, so both
layouts describe exactly the same data flow. Run it from this folder after changing a
description; the tests read the .dtsx files it writes.

Expressions and property values name columns as {Component.Output.Column}; the writer turns
them into the stored form of each layout.
"""

import re
from xml.sax.saxutils import quoteattr, escape

CLASS = {
    "FlatFileSource": ("{5ACD952A-F16A-41D8-A681-713640837664}", "Microsoft.FlatFileSource"),
    "FlatFileDestination": ("{D658C424-8CF0-441C-B3C4-955E183B7FBA}", "Microsoft.FlatFileDestination"),
    "DerivedColumn": ("{2932025B-AB99-40F6-B5B8-783A73F80E24}", "Microsoft.DerivedColumn"),
    "DataConvert": ("{BD06A22E-BC69-4AF7-A69B-C44C2EF684BB}", "Microsoft.DataConvert"),
    "ConditionalSplit": ("{3AE878C6-0D6C-4F48-8128-40E00E9C1B7D}", "Microsoft.ConditionalSplit"),
    "Multicast": ("{1ACA4459-ACE0-496F-814A-8611F9C27E23}", "Microsoft.Multicast"),
    "UnionAll": ("{4D9F9B7C-84D9-4335-ADB0-2542A7E35422}", "Microsoft.UnionAll"),
    "RowCount": ("{150E6007-7C6A-4CC3-8FF3-FC73783A972E}", "Microsoft.RowCount"),
    "Lookup": ("{27648839-180F-45E6-838D-AFF53DF682D2}", "Microsoft.Lookup"),
    "Cache": ("DTSTransform.Cache.2", "Microsoft.Cache"),
    "RawSource": ("DTSAdapter.RawSource.3", "Microsoft.RawSource"),
    "RawDestination": ("DTSAdapter.RawDestination.3", "Microsoft.RawDestination"),
    "Sort": ("{07127A7C-164B-422A-AD1F-24BE39B4DB38}", "Microsoft.Sort"),
    "MergeJoin": ("{A18A4D58-7C7A-4448-8B98-AE2CEFE81B4C}", "Microsoft.MergeJoin"),
    "Merge": ("DTSTransform.Merge.3", "Microsoft.Merge"),
    "Aggregate": ("{9ABE8DF3-0052-42DB-8B18-2089E1D1D1B7}", "Microsoft.Aggregate"),
    "CopyColumn": ("DTSTransform.CopyMap.3", "Microsoft.CopyMap"),
    "CharacterMap": ("{DEC33219-BA68-4FEB-AC98-9C1B1E577A8D}", "Microsoft.CharacterMap"),
    "Audit": ("{32711D35-7D9D-44E5-B57E-A17D33D5C38C}", "Microsoft.Lineage"),
    "PctSampling": ("DTSTransform.PctSampling.3", "Microsoft.PctSampling"),
    "RowSampling": ("{19FBD9D1-7707-49F8-8EB2-BD7C6DA183C2}", "Microsoft.RowSampling"),
    "Recordset": ("{167AF7E9-BA81-425F-B73D-E30C2DCC0F09}", "Microsoft.RecordsetDestination"),
}

# Pipeline type name -> flat-file DataType code.
CODES = {"i4": 3, "str": 129, "wstr": 130, "numeric": 131, "dbDate": 133, "r8": 5, "text": 302, "nText": 303}


def t(name, length=0, precision=0, scale=0, code_page=0):
    return dict(name=name, length=length, precision=precision, scale=scale, code_page=code_page)


def col(name, ty, err="FailComponent", trunc="FailComponent", props=(), special=0, sort=0):
    return dict(name=name, ty=ty, err=err, trunc=trunc, props=list(props), special=special, sort=sort)


def cm(name, path, columns, qualifier=None, names=False, code_page=1252, unicode=False, row="\r\n"):
    return dict(name=name, path=path, columns=columns, qualifier=qualifier, names=names,
                code_page=code_page, unicode=unicode, row=row)


class Ids:
    def __init__(self, fmt, task):
        self.fmt = fmt
        self.task = task
        self.next = 1
        self.refs = {}

    def new(self, ref):
        n = self.next
        self.next += 1
        self.refs[ref] = n
        return n

    def attr_id(self, ref):
        """The identity attributes of an object: `id="n"` or `refId="…"`."""
        if self.fmt == 8:
            return f'refId={quoteattr(ref)}'
        return f'id="{self.new(ref)}"'

    def link(self, ref):
        return quoteattr(ref) if self.fmt == 8 else f'"{self.refs[ref]}"'

    def column_ref(self, key):
        comp, out, c = key.split(".")
        ref = f"Package\\{self.task}\\{comp}.Outputs[{out}].Columns[{c}]"
        return ref

    def expression(self, text):
        def sub(m):
            ref = self.column_ref(m.group(1))
            return "#{" + ref + "}" if self.fmt == 8 else f"#{self.refs[ref]}"
        text = re.sub(r"\{(?!in:)([^{}]+\.[^{}]+\.[^{}]+)\}", sub, text)

        # {in:Component.Input.Column}: an input column (Merge Join's InputColumnID).
        def sub_input(m):
            comp, inp, c = m.group(1).split(".")
            ref = f"Package\\{self.task}\\{comp}.Inputs[{inp}].Columns[{c}]"
            return "#{" + ref + "}" if self.fmt == 8 else f"#{self.refs[ref]}"
        return re.sub(r"\{in:([^{}]+)\}", sub_input, text)

    def friendly(self, text):
        return re.sub(r"\{[^{}]+\.[^{}]+\.([^{}]+)\}", r"[\1]", text)


def esc_delim(s):
    return "".join(f"_x{ord(c):04X}_" if c in "\r\n\t,;|\"<>" else c for c in s)


def type_attrs(ty, fmt):
    a = f'dataType="{ty["name"]}"'
    if ty["length"] or fmt == 3:
        a += f' length="{ty["length"]}"'
    if ty["precision"] or fmt == 3:
        a += f' precision="{ty["precision"]}"'
    if ty["scale"] or fmt == 3:
        a += f' scale="{ty["scale"]}"'
    if ty["code_page"] or fmt == 3:
        a += f' codePage="{ty["code_page"]}"'
    return a


def flat_file_manager(m, fmt, dtsid):
    cols = []
    for i, c in enumerate(m["columns"]):
        d = m["row"] if i == len(m["columns"]) - 1 else ","
        ty = c["ty"]
        props = dict(ColumnType="Delimited", ColumnDelimiter=esc_delim(d), MaximumWidth=str(ty["length"] or 50),
                     DataType=str(CODES[ty["name"]]), DataPrecision=str(ty["precision"]), DataScale=str(ty["scale"]),
                     TextQualified="True" if fmt == 8 else "-1", ObjectName=c["name"],
                     DTSID="{%08X-0000-4000-8000-%012X}" % (dtsid, i + 1))
        if fmt == 8:
            cols.append("<DTS:FlatFileColumn " + " ".join(f'DTS:{k}={quoteattr(v)}' for k, v in props.items()) + "/>")
        else:
            cols.append("<DTS:FlatFileColumn>" + "".join(
                f'<DTS:Property DTS:Name="{k}">{escape(v)}</DTS:Property>' for k, v in props.items()) + "</DTS:FlatFileColumn>")
    q = esc_delim(m["qualifier"]) if m["qualifier"] else "_x003C_none_x003E_"
    top = dict(Format="Delimited", LocaleID="1033", Unicode=("True" if m["unicode"] else "False") if fmt == 8 else ("-1" if m["unicode"] else "0"),
               HeaderRowDelimiter="_x000D__x000A_", ColumnNamesInFirstDataRow=("True" if m["names"] else "False") if fmt == 8 else ("-1" if m["names"] else "0"),
               RowDelimiter="", TextQualifier=q, CodePage=str(m["code_page"]), ConnectionString=m["path"])
    if fmt == 8:
        inner = "<DTS:ConnectionManager " + " ".join(f'DTS:{k}={quoteattr(v)}' for k, v in top.items()) + "><DTS:FlatFileColumns>" + "".join(cols) + "</DTS:FlatFileColumns></DTS:ConnectionManager>"
        return (f'<DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[{m["name"]}]" DTS:CreationName="FLATFILE" '
                f'DTS:DTSID="{{{dtsid:08X}-0000-4000-8000-000000000000}}" DTS:ObjectName="{m["name"]}"><DTS:ObjectData>{inner}</DTS:ObjectData></DTS:ConnectionManager>')
    inner = "<DTS:ConnectionManager>" + "".join(f'<DTS:Property DTS:Name="{k}">{escape(v)}</DTS:Property>' for k, v in top.items()) + "".join(cols) + "</DTS:ConnectionManager>"
    return (f'<DTS:ConnectionManager><DTS:Property DTS:Name="ObjectName">{m["name"]}</DTS:Property>'
            f'<DTS:Property DTS:Name="DTSID">{{{dtsid:08X}-0000-4000-8000-000000000000}}</DTS:Property>'
            f'<DTS:Property DTS:Name="CreationName">FLATFILE</DTS:Property><DTS:ObjectData>{inner}</DTS:ObjectData></DTS:ConnectionManager>')


def cache_manager(m, fmt, dtsid):
    """A Cache connection manager: columns (name, type, index position), UseFile, file path."""
    cols = []
    for i, (name, ty, index) in enumerate(m["columns"]):
        props = dict(DataType=str(CODES[ty["name"]]), Length=str(ty["length"]), Precision=str(ty["precision"]),
                     Scale=str(ty["scale"]), CodePage=str(ty["code_page"]), IndexPosition=str(index), ObjectName=name,
                     DTSID="{%08X-0000-4000-8000-%012X}" % (dtsid, i + 1))
        if fmt == 8:
            cols.append("<DTS:CacheColumn " + " ".join(f'DTS:{k}={quoteattr(v)}' for k, v in props.items()) + "/>")
        else:
            cols.append("<DTS:CacheColumn>" + "".join(
                f'<DTS:Property DTS:Name="{k}">{escape(v)}</DTS:Property>' for k, v in props.items()) + "</DTS:CacheColumn>")
    ident = "{%08X-0000-4000-8000-000000000000}" % dtsid
    if fmt == 8:
        use = "True" if m["use_file"] else "False"
        return (f'<DTS:ConnectionManager DTS:refId="Package.ConnectionManagers[{m["name"]}]" DTS:CreationName="CACHE" '
                f'DTS:DTSID="{ident}" DTS:ObjectName="{m["name"]}" DTS:ConnectionString={quoteattr(m["path"])}><DTS:ObjectData>'
                f'<DTS:ConnectionManager DTS:UseFile="{use}"><DTS:CacheColumns>{"".join(cols)}</DTS:CacheColumns></DTS:ConnectionManager>'
                '</DTS:ObjectData></DTS:ConnectionManager>')
    use = "-1" if m["use_file"] else "0"
    return (f'<DTS:ConnectionManager><DTS:Property DTS:Name="ObjectName">{m["name"]}</DTS:Property>'
            f'<DTS:Property DTS:Name="DTSID">{ident}</DTS:Property>'
            f'<DTS:Property DTS:Name="CreationName">CACHE</DTS:Property>'
            f'<DTS:Property DTS:Name="ConnectionString">{escape(m["path"])}</DTS:Property><DTS:ObjectData>'
            f'<DTS:ConnectionManager><DTS:Property DTS:Name="UseFile">{use}</DTS:Property>{"".join(cols)}</DTS:ConnectionManager>'
            '</DTS:ObjectData></DTS:ConnectionManager>')


def properties(props, ids):
    out = []
    for p in props:
        name, value = p[0], p[1]
        dtype = p[2] if len(p) > 2 else "System.String"
        contains = "{" in value and "." in value
        stored = ids.expression(value) if contains else value
        attrs = f'name="{name}" dataType="{dtype}"'
        if contains:
            attrs += ' containsID="true"'
        out.append(f"<property {attrs}>{escape(stored)}</property>")
        if name == "Expression":
            out.append(f'<property name="FriendlyExpression" dataType="System.String" expressionType="Notify">{escape(ids.friendly(value))}</property>')
    return "<properties>" + "".join(out) + "</properties>" if out else ""


def pipeline(flow, fmt, task, managers):
    ids = Ids(fmt, task)
    base = f"Package\\{task}"
    comps_xml = []
    # Pass 1: number every object in document order (2008) so references resolve.
    for comp in flow["components"]:
        cref = f"{base}\\{comp['name']}"
        for i in comp.get("inputs", []):
            iref = f"{cref}.Inputs[{i['name']}]"
            ids.new(iref)
        for o in comp.get("outputs", []):
            ids.new(f"{cref}.Outputs[{o['name']}]")
            for c in o["columns"]:
                ids.new(f"{cref}.Outputs[{o['name']}].Columns[{c['name']}]")
    for comp in flow["components"]:
        cref = f"{base}\\{comp['name']}"
        kind = comp["kind"]
        class_id = CLASS[kind][0 if fmt == 3 else 1]
        head = (f'<component {"refId=" + quoteattr(cref) if fmt == 8 else "id=" + chr(34) + str(ids.new(cref)) + chr(34)} '
                f'name={quoteattr(comp["name"])} componentClassID="{class_id}" '
                f'contactInfo={quoteattr(comp.get("contact", kind) + ";Microsoft Corporation;1")} usesDispositions="true" version="1">')
        parts = [head, properties(comp.get("props", []), ids)]
        if "conn" in comp:
            m = managers[comp["conn"]]
            target = f'Package.ConnectionManagers[{m["name"]}]' if fmt == 8 else "{%08X-0000-4000-8000-000000000000}" % m["dtsid"]
            slot = comp.get("slot", "FlatFileConnection")
            cid = ids.attr_id(f"{cref}.Connections[{slot}]")
            extra = f' connectionManagerRefId="{target}"' if fmt == 8 else ""
            parts.append(f'<connections><connection {cid} name="{slot}" connectionManagerID="{target}"{extra}/></connections>')
        if comp.get("inputs"):
            parts.append("<inputs>")
            for i in comp["inputs"]:
                iref = f"{cref}.Inputs[{i['name']}]"
                ident = f'refId={quoteattr(iref)}' if fmt == 8 else f'id="{ids.refs[iref]}"'
                side = ' hasSideEffects="true"' if i.get("side_effects") else ""
                if i.get("err"):
                    side += f' errorRowDisposition="{i["err"]}"'
                parts.append(f'<input {ident} name={quoteattr(i["name"])}{side}><inputColumns>')
                ext = []
                for k, c in enumerate(i.get("columns", [])):
                    src = ids.column_ref(c["from"])
                    cname = c["from"].split(".")[2]
                    icref = f"{iref}.Columns[{cname}]"
                    attrs = [ids.attr_id(icref), f'lineageId={ids.link(src)}']
                    if fmt == 8:
                        attrs.append(f'cachedName={quoteattr(cname)}')
                    if c.get("rw"):
                        attrs.append('usageType="readWrite"')
                    if c.get("err"):
                        attrs.append(f'errorRowDisposition="{c["err"]}" truncationRowDisposition="{c["err"]}"')
                    if c.get("external"):
                        eref = f"{iref}.ExternalColumns[{c['external']}]"
                        ext.append((eref, c["external"], c["external_ty"]))
                        if fmt == 3:
                            ids.new(eref)
                        attrs.append(f'externalMetadataColumnId={ids.link(eref)}')
                    parts.append("<inputColumn " + " ".join(attrs) + ">" + properties(c.get("props", []), ids) + "</inputColumn>")
                parts.append("</inputColumns>")
                if ext:
                    parts.append('<externalMetadataColumns isUsed="True">')
                    for eref, name, ty in ext:
                        ident = f'refId={quoteattr(eref)}' if fmt == 8 else f'id="{ids.refs[eref]}"'
                        parts.append(f'<externalMetadataColumn {ident} name={quoteattr(name)} {type_attrs(ty, fmt)}/>')
                    parts.append("</externalMetadataColumns>")
                parts.append("</input>")
            parts.append("</inputs>")
        if comp.get("outputs"):
            parts.append("<outputs>")
            for o in comp["outputs"]:
                oref = f"{cref}.Outputs[{o['name']}]"
                ident = f'refId={quoteattr(oref)}' if fmt == 8 else f'id="{ids.refs[oref]}"'
                attrs = [ident, f'name={quoteattr(o["name"])}']
                if o.get("sync"):
                    attrs.append(f'synchronousInputId={ids.link(cref + ".Inputs[" + o["sync"] + "]")}')
                if o.get("group"):
                    attrs.append(f'exclusionGroup="{o["group"]}"')
                if o.get("error"):
                    attrs.append('isErrorOut="true"')
                if o.get("err"):
                    attrs.append(f'errorRowDisposition="{o["err"]}"')
                if o.get("sorted"):
                    attrs.append('isSorted="true"')
                parts.append("<output " + " ".join(attrs) + ">" + properties(o.get("props", []), ids) + "<outputColumns>")
                ext = []
                for c in o["columns"]:
                    ocref = f"{oref}.Columns[{c['name']}]"
                    ident = f'refId={quoteattr(ocref)} lineageId={quoteattr(ocref)}' if fmt == 8 else f'id="{ids.refs[ocref]}" lineageId="{ids.refs[ocref]}"'
                    a = [ident, f'name={quoteattr(c["name"])}', type_attrs(c["ty"], fmt)]
                    if c.get("sort"):
                        a.append(f'sortKeyPosition="{c["sort"]}"')
                    if c["special"]:
                        a.append(f'specialFlags="{c["special"]}"')
                    else:
                        a.append(f'errorRowDisposition="{c["err"]}" truncationRowDisposition="{c["trunc"]}"')
                    if o.get("external"):
                        eref = f"{oref}.ExternalColumns[{c['name']}]"
                        if fmt == 3:
                            ids.new(eref)
                        ext.append((eref, c))
                        a.append(f'externalMetadataColumnId={ids.link(eref)}')
                    parts.append("<outputColumn " + " ".join(a) + ">" + properties(c["props"], ids) + "</outputColumn>")
                parts.append("</outputColumns>")
                if ext:
                    parts.append('<externalMetadataColumns isUsed="True">')
                    for eref, c in ext:
                        ident = f'refId={quoteattr(eref)}' if fmt == 8 else f'id="{ids.refs[eref]}"'
                        parts.append(f'<externalMetadataColumn {ident} name={quoteattr(c["name"])} {type_attrs(c["ty"], fmt)}/>')
                    parts.append("</externalMetadataColumns>")
                parts.append("</output>")
            parts.append("</outputs>")
        parts.append("</component>")
        comps_xml.append("".join(parts))
    paths = []
    for (frm, out, to, inp) in flow["paths"]:
        pref = f"{base}.Paths[{out}]"
        start = f"{base}\\{frm}.Outputs[{out}]"
        end = f"{base}\\{to}.Inputs[{inp}]"
        ident = f'refId={quoteattr(pref)}' if fmt == 8 else f'id="{ids.new(pref)}"'
        paths.append(f'<path {ident} name={quoteattr(out)} startId={ids.link(start)} endId={ids.link(end)}/>')
    head = '<pipeline version="1">' if fmt == 8 else '<pipeline id="0" name="pipelineXml" defaultBufferMaxRows="10000" engineThreads="10" defaultBufferSize="10485760" BLOBTempStoragePath="" bufferTempStoragePath="" runInOptimizedMode="true">'
    return head + "<components>" + "\n".join(comps_xml) + "</components><paths>" + "".join(paths) + "</paths></pipeline>"


def package(p, fmt):
    managers = {}
    for k, m in enumerate(p["managers"]):
        m = dict(m, dtsid=0x44000000 + p["seed"] * 256 + k)
        managers[m["name"]] = m
    task = p.get("task", "Load")
    tasks = p.get("tasks") or [(task, p["flow"])]
    cms = "".join(m["writer"](m, fmt, m["dtsid"]) if m.get("writer")
                  else cache_manager(m, fmt, m["dtsid"]) if m.get("kind") == "cache"
                  else flat_file_manager(m, fmt, m["dtsid"])
                  for m in managers.values())
    pid = "{%08X-0000-4000-8000-00000000AAAA}" % (0x55000000 + p["seed"])
    tids = ["{%08X-0000-4000-8000-0000%08X}" % (0x55000000 + p["seed"], 0xBBBB + k * 0x10000 if k else 0xBBBB)
            for k in range(len(tasks))]
    tid = tids[0]
    flow_xmls = [pipeline(flow, fmt, name, managers) for name, flow in tasks]
    flow_xml = flow_xmls[0]
    if fmt == 8:
        variables = "".join(
            f'<DTS:Variable DTS:CreationName="" DTS:DTSID="{{{0x66000000 + p["seed"] * 16 + i:08X}-0000-4000-8000-000000000000}}" DTS:Namespace="User" DTS:RaiseChangedEvent="True" DTS:ObjectName="{n}"><DTS:VariableValue DTS:DataType="{code}">{v}</DTS:VariableValue></DTS:Variable>'
            for i, (n, code, v) in enumerate(p.get("variables", [])))
        return ('<?xml version="1.0"?>\n'
                f'<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:refId="Package" DTS:CreationName="Microsoft.Package" DTS:DTSID="{pid}" DTS:ExecutableType="Microsoft.Package" DTS:ObjectName="{p["name"]}" DTS:ProtectionLevel="0">\n'
                '<DTS:Property DTS:Name="PackageFormatVersion">8</DTS:Property>\n'
                f'<DTS:ConnectionManagers>{cms}</DTS:ConnectionManagers>\n'
                f'<DTS:Variables>{variables}</DTS:Variables>\n'
                '<DTS:Executables>' + "".join(
                    f'<DTS:Executable DTS:refId="Package\\{name}" DTS:CreationName="Microsoft.Pipeline" DTS:DTSID="{tids[k]}" DTS:ExecutableType="Microsoft.Pipeline" DTS:ObjectName="{name}"><DTS:ObjectData>\n{flow_xmls[k]}\n</DTS:ObjectData></DTS:Executable>'
                    for k, (name, _) in enumerate(tasks)) + (p["after"](p, 8, tids) if p.get("after") else "") + '</DTS:Executables>\n'
                + ('<DTS:PrecedenceConstraints>' + "".join(
                    f'<DTS:PrecedenceConstraint DTS:refId="Package.PrecedenceConstraints[Constraint {k}]" DTS:CreationName="" '
                    f'DTS:DTSID="{{{0x77000000 + p["seed"] * 16 + k:08X}-0000-4000-8000-000000000000}}" DTS:From="Package\\{tasks[k - 1][0]}" '
                    f'DTS:LogicalAnd="True" DTS:ObjectName="Constraint {k}" DTS:To="Package\\{tasks[k][0] if k < len(tasks) else p["after_name"]}"/>'
                    for k in range(1, len(tasks) + (1 if p.get("after") else 0))) + '</DTS:PrecedenceConstraints>\n'
                   if len(tasks) > 1 or p.get("after") else '')
                + '</DTS:Executable>\n')
    variables = "".join(
        f'<DTS:Variable><DTS:Property DTS:Name="Namespace">User</DTS:Property><DTS:Property DTS:Name="RaiseChangedEvent">-1</DTS:Property><DTS:VariableValue DTS:DataType="{code}">{v}</DTS:VariableValue>'
        f'<DTS:Property DTS:Name="ObjectName">{n}</DTS:Property><DTS:Property DTS:Name="DTSID">{{{0x66000000 + p["seed"] * 16 + i:08X}-0000-4000-8000-000000000000}}</DTS:Property></DTS:Variable>'
        for i, (n, code, v) in enumerate(p.get("variables", [])))
    return ('<?xml version="1.0"?>\n<DTS:Executable xmlns:DTS="www.microsoft.com/SqlServer/Dts" DTS:ExecutableType="SSIS.Package.2">\n'
            '<DTS:Property DTS:Name="PackageFormatVersion">3</DTS:Property>\n'
            f'<DTS:Property DTS:Name="ProtectionLevel">0</DTS:Property>\n{cms}\n{variables}\n'
            + "".join(
                f'<DTS:Executable DTS:ExecutableType="SSIS.Pipeline.2"><DTS:Property DTS:Name="ObjectName">{name}</DTS:Property><DTS:Property DTS:Name="DTSID">{tids[k]}</DTS:Property><DTS:ObjectData>\n{flow_xmls[k]}\n</DTS:ObjectData></DTS:Executable>\n'
                for k, (name, _) in enumerate(tasks))
            + (p["after"](p, 3, tids) if p.get("after") else "")
            + "".join(
                f'<DTS:PrecedenceConstraint><DTS:Property DTS:Name="Value">0</DTS:Property><DTS:Property DTS:Name="EvalOp">2</DTS:Property>'
                f'<DTS:Property DTS:Name="LogicalAnd">-1</DTS:Property><DTS:Executable IDREF="{tids[k - 1]}" DTS:IsFrom="-1"/><DTS:Executable IDREF="{tids[k] if k < len(tids) else p["after_id"]}" DTS:IsFrom="0"/>'
                f'<DTS:Property DTS:Name="ObjectName">Constraint {k}</DTS:Property><DTS:Property DTS:Name="DTSID">{{{0x77000000 + p["seed"] * 16 + k:08X}-0000-4000-8000-000000000000}}</DTS:Property></DTS:PrecedenceConstraint>\n'
                for k in range(1, len(tasks) + (1 if p.get("after") else 0))) +
            f'<DTS:Property DTS:Name="ObjectName">{p["name"]}</DTS:Property><DTS:Property DTS:Name="DTSID">{pid}</DTS:Property>\n</DTS:Executable>\n')


def ff_source(name, manager, columns, retain_nulls=False, error_output=True):
    outputs = [dict(name="Flat File Source Output", external=True, columns=columns)]
    if error_output:
        outputs.append(dict(name="Flat File Source Error Output", error=True, columns=[
            col("Flat File Source Error Output Column", t("text", code_page=1252), special=0),
            col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)]))
    return dict(name=name, kind="FlatFileSource", contact="Flat File Source", conn=manager,
                props=[("RetainNulls", "true" if retain_nulls else "false", "System.Boolean")], outputs=outputs)


def ff_destination(name, manager, columns):
    """columns: (Component.Output.Column, external name, external type)."""
    return dict(name=name, kind="FlatFileDestination", contact="Flat File Destination", conn=manager,
                props=[("Overwrite", "true", "System.Boolean"), ("Header", "", "System.Null"), ("EscapeQualifier", "false", "System.Boolean")],
                inputs=[dict(name="Flat File Destination Input", side_effects=True,
                             columns=[dict(**{"from": f, "external": e, "external_ty": ty}) for f, e, ty in columns])])


STR50 = t("str", 50, code_page=1252)
STR20 = t("str", 20, code_page=1252)
AMOUNT = t("numeric", precision=12, scale=2)
TOTAL = t("numeric", precision=14, scale=2)

ORDERS = dict(
    name="Orders", seed=1,
    variables=[("Rows", 3, "0")],
    managers=[
        cm("Orders", "C:\\data\\orders.csv", [col("id", t("i4")), col("customer", STR50), col("region", STR20),
                                               col("amount", AMOUNT), col("qty", t("i4")), col("ordered", t("dbDate"))],
           qualifier='"', names=True),
        cm("Big", "C:\\data\\big.csv", [col("id", t("i4")), col("customer", STR50), col("region", STR20), col("total", TOTAL)],
           qualifier='"', names=True),
        cm("Small", "C:\\data\\small.csv", [col("id", t("i4")), col("region", STR20), col("total", TOTAL)],
           names=False, code_page=65001, row="\n"),
    ],
    flow=dict(components=[
        ff_source("Read orders", "Orders", [col("id", t("i4")), col("customer", STR50), col("region", STR20),
                                            col("amount", AMOUNT), col("qty", t("i4")), col("ordered", t("dbDate"))]),
        dict(name="Derive", kind="DerivedColumn", contact="Derived Column",
             inputs=[dict(name="Derived Column Input", columns=[
                 dict(**{"from": "Read orders.Flat File Source Output.region", "rw": True,
                         "props": [("Expression", "UPPER({Read orders.Flat File Source Output.region})")]}),
                 dict(**{"from": "Read orders.Flat File Source Output.amount"}),
                 dict(**{"from": "Read orders.Flat File Source Output.qty"})])],
             outputs=[dict(name="Derived Column Output", sync="Derived Column Input", group=1, columns=[
                 col("total", TOTAL, props=[("Expression", "{Read orders.Flat File Source Output.amount} * {Read orders.Flat File Source Output.qty}")])]),
                 dict(name="Derived Column Error Output", sync="Derived Column Input", group=1, error=True,
                      columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        dict(name="Copy", kind="Multicast", contact="Multicast",
             inputs=[dict(name="Multicast Input")],
             outputs=[dict(name="Multicast Output 1", sync="Multicast Input", columns=[]),
                      dict(name="Multicast Output 2", sync="Multicast Input", columns=[])]),
        dict(name="Count", kind="RowCount", contact="Row Count", props=[("VariableName", "User::Rows")],
             inputs=[dict(name="Row Count Input")],
             outputs=[dict(name="Row Count Output", sync="Row Count Input", columns=[])]),
        dict(name="Split", kind="ConditionalSplit", contact="Conditional Split",
             inputs=[dict(name="Conditional Split Input", columns=[dict(**{"from": "Derive.Derived Column Output.total"})])],
             outputs=[dict(name="Big orders", sync="Conditional Split Input", group=1, err="FailComponent",
                           props=[("Expression", "{Derive.Derived Column Output.total} > 100"), ("EvaluationOrder", "0", "System.Int32")], columns=[]),
                      dict(name="Other orders", sync="Conditional Split Input", group=1,
                           props=[("IsDefaultOut", "true", "System.Boolean"), ("EvaluationOrder", "1", "System.Int32")], columns=[]),
                      dict(name="Conditional Split Error Output", sync="Conditional Split Input", group=1, error=True,
                           columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        ff_destination("Write big", "Big", [("Read orders.Flat File Source Output.id", "id", t("i4")),
                                             ("Read orders.Flat File Source Output.customer", "customer", STR50),
                                             ("Read orders.Flat File Source Output.region", "region", STR20),
                                             ("Derive.Derived Column Output.total", "total", TOTAL)]),
        ff_destination("Write other", "Small", [("Read orders.Flat File Source Output.id", "id", t("i4")),
                                                 ("Read orders.Flat File Source Output.region", "region", STR20),
                                                 ("Derive.Derived Column Output.total", "total", TOTAL)]),
    ], paths=[
        ("Read orders", "Flat File Source Output", "Derive", "Derived Column Input"),
        ("Derive", "Derived Column Output", "Copy", "Multicast Input"),
        ("Copy", "Multicast Output 1", "Split", "Conditional Split Input"),
        ("Copy", "Multicast Output 2", "Count", "Row Count Input"),
        ("Split", "Big orders", "Write big", "Flat File Destination Input"),
        ("Split", "Other orders", "Write other", "Flat File Destination Input"),
    ]))

WSTR = t("wstr", 20)
CP1251 = t("str", 20, code_page=1251)
CONVERT = dict(
    name="ConvertUnion", seed=2,
    managers=[
        cm("Codes", "C:\\data\\codes.txt", [col("code", WSTR), col("label", WSTR)], names=True, unicode=True),
        cm("Out", "C:\\data\\out1251.txt", [col("code", t("i4")), col("label", CP1251)], names=True, code_page=1251),
    ],
    flow=dict(components=[
        ff_source("Read codes", "Codes", [col("code", WSTR), col("label", WSTR)]),
        dict(name="Convert", kind="DataConvert", contact="Data Conversion",
             inputs=[dict(name="Data Conversion Input", columns=[dict(**{"from": "Read codes.Flat File Source Output.code"}),
                                                                   dict(**{"from": "Read codes.Flat File Source Output.label"})])],
             outputs=[dict(name="Data Conversion Output", sync="Data Conversion Input", group=1, columns=[
                 col("code_num", t("i4"), props=[("SourceInputColumnLineageID", "{Read codes.Flat File Source Output.code}")]),
                 col("label_1251", CP1251, props=[("SourceInputColumnLineageID", "{Read codes.Flat File Source Output.label}")])]),
                 dict(name="Data Conversion Error Output", sync="Data Conversion Input", group=1, error=True,
                      columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        dict(name="Twice", kind="Multicast", contact="Multicast", inputs=[dict(name="Multicast Input")],
             outputs=[dict(name="Multicast Output 1", sync="Multicast Input", columns=[]),
                      dict(name="Multicast Output 2", sync="Multicast Input", columns=[])]),
        dict(name="Union", kind="UnionAll", contact="Union All",
             inputs=[dict(name=f"Union All Input {k}", columns=[
                 dict(**{"from": "Convert.Data Conversion Output.code_num", "props": [("OutputColumnLineageID", "{Union.Union All Output.code}")]}),
                 dict(**{"from": "Convert.Data Conversion Output.label_1251", "props": [("OutputColumnLineageID", "{Union.Union All Output.label}")]})])
                 for k in (1, 2)],
             outputs=[dict(name="Union All Output", columns=[col("code", t("i4")), col("label", CP1251)])]),
        ff_destination("Write", "Out", [("Union.Union All Output.code", "code", t("i4")), ("Union.Union All Output.label", "label", CP1251)]),
    ], paths=[
        ("Read codes", "Flat File Source Output", "Convert", "Data Conversion Input"),
        ("Convert", "Data Conversion Output", "Twice", "Multicast Input"),
        ("Twice", "Multicast Output 1", "Union", "Union All Input 1"),
        ("Twice", "Multicast Output 2", "Union", "Union All Input 2"),
        ("Union", "Union All Output", "Write", "Flat File Destination Input"),
    ]))

S3 = t("str", 3, code_page=1252)
ERR_COLS = [col("Flat File Source Error Output Column", t("text", code_page=1252)), col("ErrorCode", t("i4")), col("ErrorColumn", t("i4"))]
DISPOSITIONS = dict(
    name="Dispositions", seed=3,
    managers=[
        cm("In", "C:\\data\\in.csv", [col("n", t("i4")), col("s", S3), col("d", t("i4"))]),
        cm("Out", "C:\\data\\out.csv", [col("n", t("i4")), col("s", S3), col("q", t("i4"))]),
        cm("Bad rows", "C:\\data\\bad_rows.csv", ERR_COLS),
        cm("Bad division", "C:\\data\\bad_division.csv", [col("n", t("i4")), col("ErrorCode", t("i4")), col("ErrorColumn", t("i4"))]),
    ],
    flow=dict(components=[
        ff_source("Read", "In", [col("n", t("i4"), err="RedirectRow", trunc="RedirectRow"),
                                 col("s", S3, err="IgnoreFailure", trunc="IgnoreFailure"),
                                 col("d", t("i4"), err="IgnoreFailure", trunc="IgnoreFailure")], retain_nulls=True),
        dict(name="Divide", kind="DerivedColumn", contact="Derived Column",
             inputs=[dict(name="Derived Column Input", columns=[dict(**{"from": "Read.Flat File Source Output.d"})])],
             outputs=[dict(name="Derived Column Output", sync="Derived Column Input", group=1, columns=[
                 col("q", t("i4"), err="RedirectRow", trunc="RedirectRow", props=[("Expression", "100 / {Read.Flat File Source Output.d}")])]),
                 dict(name="Derived Column Error Output", sync="Derived Column Input", group=1, error=True,
                      columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        dict(name="Split", kind="ConditionalSplit", contact="Conditional Split",
             inputs=[dict(name="Conditional Split Input", columns=[dict(**{"from": "Divide.Derived Column Output.q"})])],
             outputs=[dict(name="Small q", sync="Conditional Split Input", group=1, err="IgnoreFailure",
                           props=[("Expression", "{Divide.Derived Column Output.q} < 50"), ("EvaluationOrder", "0", "System.Int32")], columns=[]),
                      dict(name="Rest", sync="Conditional Split Input", group=1,
                           props=[("IsDefaultOut", "true", "System.Boolean"), ("EvaluationOrder", "1", "System.Int32")], columns=[])]),
        ff_destination("Write", "Out", [("Read.Flat File Source Output.n", "n", t("i4")), ("Read.Flat File Source Output.s", "s", S3),
                                        ("Divide.Derived Column Output.q", "q", t("i4"))]),
        ff_destination("Write bad rows", "Bad rows", [("Read.Flat File Source Error Output.Flat File Source Error Output Column", "Flat File Source Error Output Column", t("text", code_page=1252)),
                                                      ("Read.Flat File Source Error Output.ErrorCode", "ErrorCode", t("i4")),
                                                      ("Read.Flat File Source Error Output.ErrorColumn", "ErrorColumn", t("i4"))]),
        ff_destination("Write bad division", "Bad division", [("Read.Flat File Source Output.n", "n", t("i4")),
                                                              ("Divide.Derived Column Error Output.ErrorCode", "ErrorCode", t("i4")),
                                                              ("Divide.Derived Column Error Output.ErrorColumn", "ErrorColumn", t("i4"))]),
    ], paths=[
        ("Read", "Flat File Source Output", "Divide", "Derived Column Input"),
        ("Read", "Flat File Source Error Output", "Write bad rows", "Flat File Destination Input"),
        ("Divide", "Derived Column Output", "Split", "Conditional Split Input"),
        ("Divide", "Derived Column Error Output", "Write bad division", "Flat File Destination Input"),
        ("Split", "Small q", "Write", "Flat File Destination Input"),
    ]))

FAIL = dict(
    name="FailComponent", seed=4,
    managers=[cm("In", "C:\\data\\in.csv", [col("n", t("i4")), col("s", S3)], qualifier='"'),
              cm("Out", "C:\\data\\out.csv", [col("n", t("i4")), col("s", S3)])],
    flow=dict(components=[
        ff_source("Read", "In", [col("n", t("i4")), col("s", S3)], error_output=False),
        ff_destination("Write", "Out", [("Read.Flat File Source Output.n", "n", t("i4")), ("Read.Flat File Source Output.s", "s", S3)]),
    ], paths=[("Read", "Flat File Source Output", "Write", "Flat File Destination Input")]))

W20 = t("wstr", 20)
W30 = t("wstr", 30)
I4 = t("i4")
ERROR_COLUMNS = [col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)]

# Data flow 1 fills a cache (kept in memory and in its cache file) from a flat file; data flow 2
# looks orders up against it: matches get the code's name and rank, misses go to the no-match
# output.
LOOKUP_CACHE = dict(
    name="LookupCache", seed=5,
    managers=[
        cm("Codes", "C:\\data\\codes.csv", [col("Code", W20), col("Name", W30), col("Rank", I4)], code_page=65001, row="\n"),
        dict(kind="cache", name="Code cache", path="C:\\data\\codes.caw", use_file=True,
             columns=[("Code", W20, 1), ("Name", W30, 0), ("Rank", I4, 0)]),
        cm("Orders", "C:\\data\\orders.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
        cm("Matched", "C:\\data\\matched.csv", [col("Id", I4), col("Code", W20), col("Name", W30), col("Rank", I4)], code_page=65001, row="\n"),
        cm("Unmatched", "C:\\data\\unmatched.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
    ],
    tasks=[
        ("Fill cache", dict(components=[
            ff_source("Read codes", "Codes", [col("Code", W20), col("Name", W30), col("Rank", I4)], retain_nulls=True),
            dict(name="Fill", kind="Cache", contact="Cache Transform", conn="Code cache", slot="CacheConnection",
                 props=[("TreatDuplicateKeysAsError", "false", "System.Boolean")],
                 inputs=[dict(name="Cache Input", side_effects=True, columns=[
                     dict(**{"from": f"Read codes.Flat File Source Output.{c}", "props": [("CacheColumnName", c)]})
                     for c in ("Code", "Name", "Rank")])],
                 outputs=[dict(name="Cache Output", sync="Cache Input", columns=[])]),
        ], paths=[("Read codes", "Flat File Source Output", "Fill", "Cache Input")])),
        ("Look up", dict(components=[
            ff_source("Read orders", "Orders", [col("Id", I4), col("Code", W20)], retain_nulls=True),
            dict(name="Find code", kind="Lookup", contact="Lookup", conn="Code cache", slot="CacheConnection",
                 props=[("ConnectionType", "1", "System.Int32"), ("CacheType", "0", "System.Int32"),
                        ("NoMatchBehavior", "1", "System.Int32"), ("TreatDuplicateKeysAsError", "false", "System.Boolean")],
                 inputs=[dict(name="Lookup Input", columns=[
                     dict(**{"from": "Read orders.Flat File Source Output.Code", "props": [("JoinToReferenceColumn", "Code")]})])],
                 outputs=[dict(name="Lookup Match Output", sync="Lookup Input", group=1, err="FailComponent", columns=[
                     col("Name", W30, props=[("CopyFromReferenceColumn", "Name")]),
                     col("Rank", I4, props=[("CopyFromReferenceColumn", "Rank")])]),
                     dict(name="Lookup No Match Output", sync="Lookup Input", group=1, columns=[]),
                     dict(name="Lookup Error Output", sync="Lookup Input", group=1, error=True, columns=ERROR_COLUMNS)]),
            ff_destination("Write matched", "Matched", [("Read orders.Flat File Source Output.Id", "Id", I4),
                                                         ("Read orders.Flat File Source Output.Code", "Code", W20),
                                                         ("Find code.Lookup Match Output.Name", "Name", W30),
                                                         ("Find code.Lookup Match Output.Rank", "Rank", I4)]),
            ff_destination("Write unmatched", "Unmatched", [("Read orders.Flat File Source Output.Id", "Id", I4),
                                                             ("Read orders.Flat File Source Output.Code", "Code", W20)]),
        ], paths=[
            ("Read orders", "Flat File Source Output", "Find code", "Lookup Input"),
            ("Find code", "Lookup Match Output", "Write matched", "Flat File Destination Input"),
            ("Find code", "Lookup No Match Output", "Write unmatched", "Flat File Destination Input"),
        ])),
    ])

# Data flow 1 writes orders to a raw file named by a variable; data flow 2 reads it back into a
# flat file.
RAW = dict(
    name="RawFiles", seed=6,
    variables=[("RawFile", 8, "C:\\data\\orders.raw")],
    managers=[
        cm("Orders", "C:\\data\\orders.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
        cm("Copy", "C:\\data\\copy.csv", [col("Id", I4), col("Code", W20)], code_page=65001, row="\n"),
    ],
    tasks=[
        ("Write raw", dict(components=[
            ff_source("Read orders", "Orders", [col("Id", I4), col("Code", W20)], retain_nulls=True),
            dict(name="Keep", kind="RawDestination", contact="Raw File Destination",
                 props=[("AccessMode", "1", "System.Int32"), ("FileNameVariable", "User::RawFile"), ("WriteOption", "0", "System.Int32")],
                 inputs=[dict(name="Raw File Destination Input", side_effects=True, columns=[
                     dict(**{"from": "Read orders.Flat File Source Output.Id", "external": "OrderId", "external_ty": I4}),
                     dict(**{"from": "Read orders.Flat File Source Output.Code", "external": "Code", "external_ty": W20})])]),
        ], paths=[("Read orders", "Flat File Source Output", "Keep", "Raw File Destination Input")])),
        ("Read raw", dict(components=[
            dict(name="Load", kind="RawSource", contact="Raw File Source",
                 props=[("AccessMode", "1", "System.Int32"), ("FileNameVariable", "User::RawFile")],
                 outputs=[dict(name="Raw File Source Output", external=True, columns=[col("OrderId", I4), col("Code", W20)])]),
            ff_destination("Write copy", "Copy", [("Load.Raw File Source Output.OrderId", "Id", I4),
                                                  ("Load.Raw File Source Output.Code", "Code", W20)]),
        ], paths=[("Load", "Raw File Source Output", "Write copy", "Flat File Destination Input")])),
    ])



def sort_component(name, inputs_from, keys, passed, dedupe=False):
    """inputs_from: Component.Output; keys: {column: position}; passed: [(column, type)]."""
    return dict(name=name, kind="Sort", contact="Sort",
                props=[("EliminateDuplicates", "true" if dedupe else "false", "System.Boolean"), ("MaximumThreads", "-1", "System.Int32")],
                inputs=[dict(name="Sort Input", columns=[
                    dict(**{"from": f"{inputs_from}.{c}", "props": [("NewComparisonFlags", "0", "System.Int32"),
                                                                    ("NewSortKeyPosition", str(keys.get(c, 0)), "System.Int32")]})
                    for c, _ in passed])],
                outputs=[dict(name="Sort Output", sorted=True, columns=[
                    col(c, ty, sort=keys.get(c, 0), props=[("SortColumnId", "{" + f"{inputs_from}.{c}" + "}", "System.Int32")])
                    for c, ty in passed])])


ORDER_COLS = [col("id", t("i4")), col("customer", STR50), col("region", STR20), col("amount", AMOUNT), col("qty", t("i4")), col("ordered", t("dbDate"))]
SRC = "Read orders.Flat File Source Output"
BLOCKING = dict(
    name="Blocking", seed=5,
    managers=[
        cm("Orders", "C:\\data\\orders.csv", ORDER_COLS, qualifier='"', names=True),
        cm("Regions", "C:\\data\\regions.csv", [col("region", STR20), col("manager", STR50)], names=True),
        cm("Joined", "C:\\data\\joined.csv", [col("id", t("i4")), col("region", STR20), col("amount", AMOUNT), col("manager", STR50)], names=True),
        cm("Totals", "C:\\data\\totals.csv", [col("region", STR20), col("orders", t("i4")), col("total", TOTAL), col("customers", t("i4"))], names=True),
    ],
    flow=dict(components=[
        ff_source("Read orders", "Orders", ORDER_COLS),
        ff_source("Read regions", "Regions", [col("region", STR20), col("manager", STR50)]),
        dict(name="Both ways", kind="Multicast", contact="Multicast", inputs=[dict(name="Multicast Input")],
             outputs=[dict(name="Multicast Output 1", sync="Multicast Input", columns=[]),
                      dict(name="Multicast Output 2", sync="Multicast Input", columns=[])]),
        sort_component("Orders by region", SRC, {"region": 1, "amount": -2}, [("id", t("i4")), ("region", STR20), ("amount", AMOUNT)]),
        sort_component("Regions by name", "Read regions.Flat File Source Output", {"region": 1}, [("region", STR20), ("manager", STR50)], dedupe=True),
        dict(name="Join", kind="MergeJoin", contact="Merge Join",
             props=[("JoinType", "1", "System.Int32"), ("NumKeyColumns", "1", "System.Int32"),
                    ("TreatNullsAsEqual", "true", "System.Boolean"), ("MaxBuffersPerInput", "5", "System.Int32")],
             inputs=[dict(name="Merge Join Left Input", side_effects=True, columns=[
                         dict(**{"from": f"Orders by region.Sort Output.{c}"}) for c in ("id", "region", "amount")]),
                     dict(name="Merge Join Right Input", side_effects=True, columns=[
                         dict(**{"from": f"Regions by name.Sort Output.{c}"}) for c in ("region", "manager")])],
             outputs=[dict(name="Merge Join Output", sorted=True, columns=[
                 col("id", t("i4"), props=[("InputColumnID", "{in:Join.Merge Join Left Input.id}", "System.Int32")]),
                 col("region", STR20, sort=1, props=[("InputColumnID", "{in:Join.Merge Join Left Input.region}", "System.Int32")]),
                 col("amount", AMOUNT, props=[("InputColumnID", "{in:Join.Merge Join Left Input.amount}", "System.Int32")]),
                 col("manager", STR50, props=[("InputColumnID", "{in:Join.Merge Join Right Input.manager}", "System.Int32")])])]),
        dict(name="Per region", kind="Aggregate", contact="Aggregate",
             inputs=[dict(name="Aggregate Input 1", columns=[dict(**{"from": f"{SRC}.{c}"}) for c in ("region", "amount", "customer")])],
             outputs=[dict(name="Aggregate Output 1", columns=[
                 col("region", STR20, props=[("AggregationType", "0", "System.Int32"), ("AggregationColumnId", "{" + f"{SRC}.region" + "}", "System.Int32")]),
                 col("orders", t("ui8"), props=[("AggregationType", "2", "System.Int32")]),
                 col("total", TOTAL, props=[("AggregationType", "4", "System.Int32"), ("AggregationColumnId", "{" + f"{SRC}.amount" + "}", "System.Int32")]),
                 col("customers", t("ui4"), props=[("AggregationType", "3", "System.Int32"), ("AggregationColumnId", "{" + f"{SRC}.customer" + "}", "System.Int32")])])]),
        sort_component("Totals by region", "Per region.Aggregate Output 1", {"region": 1},
                       [("region", STR20), ("orders", t("ui8")), ("total", TOTAL), ("customers", t("ui4"))]),
        ff_destination("Write joined", "Joined", [(f"Join.Merge Join Output.{c}", c, ty) for c, ty in
                                                  (("id", t("i4")), ("region", STR20), ("amount", AMOUNT), ("manager", STR50))]),
        ff_destination("Write totals", "Totals", [(f"Totals by region.Sort Output.{c}", c, ty) for c, ty in
                                                  (("region", STR20), ("orders", t("ui8")), ("total", TOTAL), ("customers", t("ui4")))]),
    ], paths=[
        ("Read orders", "Flat File Source Output", "Both ways", "Multicast Input"),
        ("Both ways", "Multicast Output 1", "Orders by region", "Sort Input"),
        ("Both ways", "Multicast Output 2", "Per region", "Aggregate Input 1"),
        ("Read regions", "Flat File Source Output", "Regions by name", "Sort Input"),
        ("Orders by region", "Sort Output", "Join", "Merge Join Left Input"),
        ("Regions by name", "Sort Output", "Join", "Merge Join Right Input"),
        ("Join", "Merge Join Output", "Write joined", "Flat File Destination Input"),
        ("Per region", "Aggregate Output 1", "Totals by region", "Sort Input"),
        ("Totals by region", "Sort Output", "Write totals", "Flat File Destination Input"),
    ]))

W64 = t("wstr", 64)
ROW_SAMPLE_COLS = ("id", "customer_copy", "region", "who")
ROW_TYPES = {"id": t("i4"), "customer_copy": STR50, "region": STR20, "who": W64}
SMALL = dict(
    name="Small", seed=6,
    managers=[
        cm("Orders", "C:\\data\\orders.csv", ORDER_COLS, qualifier='"', names=True),
        cm("Sample", "C:\\data\\sample.csv", [col("id", t("i4")), col("customer_copy", STR50), col("region", STR20), col("lower", STR50),
                                               col("package", W64), col("task", W64)], names=True),
        cm("Two", "C:\\data\\two.csv", [col("id", t("i4")), col("customer_copy", STR50), col("region", STR20), col("who", W64)], names=True),
    ],
    flow=dict(components=[
        ff_source("Read orders", "Orders", ORDER_COLS),
        dict(name="Copy", kind="CopyColumn", contact="Copy Column",
             inputs=[dict(name="Copy Column Input", columns=[dict(**{"from": f"{SRC}.customer"})])],
             outputs=[dict(name="Copy Column Output", sync="Copy Column Input", group=1, columns=[
                 col("customer_copy", STR50, props=[("copyColumnId", "{" + f"{SRC}.customer" + "}", "System.Int32")])]),
                 dict(name="Copy Column Error Output", sync="Copy Column Input", group=1, error=True,
                      columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        dict(name="Map", kind="CharacterMap", contact="Character Map",
             inputs=[dict(name="Character Map Input", columns=[
                 dict(**{"from": f"{SRC}.region", "rw": True, "props": [("MapFlags", "512", "System.Int32")]}),
                 dict(**{"from": f"{SRC}.customer"})])],
             outputs=[dict(name="Character Map Output", sync="Character Map Input", group=1, columns=[
                 col("lower", STR50, props=[("MapFlags", "256", "System.Int32"), ("InputColumnLineageId", "{" + f"{SRC}.customer" + "}", "System.Int32")])]),
                 dict(name="Character Map Error Output", sync="Character Map Input", group=1, error=True,
                      columns=[col("ErrorCode", t("i4"), special=1), col("ErrorColumn", t("i4"), special=2)])]),
        dict(name="Audit", kind="Audit", contact="Audit",
             inputs=[dict(name="Audit Input")],
             outputs=[dict(name="Audit Output", sync="Audit Input", columns=[
                 col("package", W64, props=[("LineageItemSelected", "2", "System.Int32")]),
                 col("task", W64, props=[("LineageItemSelected", "7", "System.Int32")]),
                 col("who", W64, props=[("LineageItemSelected", "6", "System.Int32")])])]),
        dict(name="Half", kind="PctSampling", contact="Percentage Sampling",
             props=[("SamplingValue", "50", "System.Int32"), ("SamplingSeed", "7", "System.Int32")],
             inputs=[dict(name="Sampling Input")],
             outputs=[dict(name="Sampling Selected Output", sync="Sampling Input", group=1, props=[("Selected", "true", "System.Boolean")], columns=[]),
                      dict(name="Sampling Unselected Output", sync="Sampling Input", group=1, props=[("Selected", "false", "System.Boolean")], columns=[])]),
        dict(name="Two rows", kind="RowSampling", contact="Row Sampling",
             props=[("SamplingValue", "2", "System.Int32"), ("SamplingSeed", "3", "System.Int32")],
             inputs=[dict(name="Sampling Input", columns=[dict(**{"from": f}) for f in
                     (f"{SRC}.id", "Copy.Copy Column Output.customer_copy", f"{SRC}.region", "Audit.Audit Output.who")])],
             outputs=[dict(name="Sampling Selected Output", props=[("Selected", "true", "System.Boolean")], columns=[
                          col(c, ROW_TYPES[c], props=[("InputColumnLineageID", "{" + f + "}", "System.Int32")]) for c, f in
                          zip(ROW_SAMPLE_COLS, (f"{SRC}.id", "Copy.Copy Column Output.customer_copy", f"{SRC}.region", "Audit.Audit Output.who"))]),
                      dict(name="Sampling Unselected Output", props=[("Selected", "false", "System.Boolean")], columns=[
                          col(c, ROW_TYPES[c], props=[("InputColumnLineageID", "{" + f + "}", "System.Int32")]) for c, f in
                          zip(ROW_SAMPLE_COLS, (f"{SRC}.id", "Copy.Copy Column Output.customer_copy", f"{SRC}.region", "Audit.Audit Output.who"))])]),
        ff_destination("Write sample", "Sample", [(f"{SRC}.id", "id", t("i4")), ("Copy.Copy Column Output.customer_copy", "customer_copy", STR50),
                                                  (f"{SRC}.region", "region", STR20), ("Map.Character Map Output.lower", "lower", STR50),
                                                  ("Audit.Audit Output.package", "package", W64), ("Audit.Audit Output.task", "task", W64)]),
        ff_destination("Write two", "Two", [(f"Two rows.Sampling Selected Output.{c}", c, ROW_TYPES[c]) for c in ROW_SAMPLE_COLS]),
    ], paths=[
        ("Read orders", "Flat File Source Output", "Copy", "Copy Column Input"),
        ("Copy", "Copy Column Output", "Map", "Character Map Input"),
        ("Map", "Character Map Output", "Audit", "Audit Input"),
        ("Audit", "Audit Output", "Half", "Sampling Input"),
        ("Half", "Sampling Selected Output", "Write sample", "Flat File Destination Input"),
        ("Half", "Sampling Unselected Output", "Two rows", "Sampling Input"),
        ("Two rows", "Sampling Selected Output", "Write two", "Flat File Destination Input"),
    ]))

# Recordset Destination and a Foreach ADO loop over it: the data flow keeps id, customer and qty
# of each order in the Object variable User::Orders; the loop maps the columns by index (in
# another order than the recordset's) to User::Name, User::Id and User::Qty and appends one
# line per row to the file named by User::Out.
APPEND = ('"-c \\"printf \'%s|%s|%s\\\\n\' \'" + (DT_WSTR, 12) @[User::Id] + "\' \'" + @[User::Name] + "\' \'"'
          ' + (DT_WSTR, 12) @[User::Qty] + "\' &gt;&gt; \'" + @[User::Out] + "\'\\""')
LOOP_ID = "{55000009-0000-4000-8000-00000000CCCC}"
MAPPINGS = [("User::Name", 1), ("User::Id", 0), ("User::Qty", 2)]


def foreach_ado(p, fmt, tids):
    if fmt == 8:
        maps = "".join(
            f'<DTS:ForEachVariableMapping DTS:CreationName="" DTS:DTSID="{{55000009-0000-4000-8000-0000000000{k:02X}}}" '
            f'DTS:ObjectName="m{k}" DTS:ValueIndex="{i}" DTS:VariableName="{v}"/>' for k, (v, i) in enumerate(MAPPINGS))
        return (f'<DTS:Executable DTS:refId="Package\\Each" DTS:CreationName="STOCK:FOREACHLOOP" DTS:DTSID="{LOOP_ID}" '
                'DTS:ExecutableType="STOCK:FOREACHLOOP" DTS:ObjectName="Each">'
                '<DTS:ForEachEnumerator DTS:CreationName="Microsoft.ForEachADOEnumerator" DTS:DTSID="{55000009-0000-4000-8000-00000000DDDD}" DTS:ObjectName="Rows">'
                '<DTS:ObjectData><FEEADO EnumType="EnumerateRowsInFirstTable" VarName="User::Orders"/></DTS:ObjectData></DTS:ForEachEnumerator>'
                '<DTS:Variables/><DTS:Executables>'
                '<DTS:Executable DTS:refId="Package\\Each\\Append" DTS:CreationName="Microsoft.ExecuteProcess" DTS:DTSID="{55000009-0000-4000-8000-00000000EEEE}" '
                'DTS:ExecutableType="Microsoft.ExecuteProcess" DTS:ObjectName="Append"><DTS:Variables/>'
                f'<DTS:PropertyExpression DTS:Name="Arguments">{APPEND}</DTS:PropertyExpression>'
                '<DTS:ObjectData><ExecuteProcessData Executable="/bin/sh" Arguments=""/></DTS:ObjectData></DTS:Executable>'
                f'</DTS:Executables><DTS:ForEachVariableMappings>{maps}</DTS:ForEachVariableMappings></DTS:Executable>')
    maps = "".join(
        f'<DTS:ForEachVariableMapping><DTS:Property DTS:Name="VariableName">{v}</DTS:Property>'
        f'<DTS:Property DTS:Name="ValueIndex" DTS:DataType="3">{i}</DTS:Property><DTS:Property DTS:Name="ObjectName">m{k}</DTS:Property>'
        f'<DTS:Property DTS:Name="DTSID">{{55000009-0000-4000-8000-0000000000{k:02X}}}</DTS:Property></DTS:ForEachVariableMapping>'
        for k, (v, i) in enumerate(MAPPINGS))
    return ('<DTS:Executable DTS:ExecutableType="STOCK:FOREACHLOOP">'
            '<DTS:ForEachEnumerator><DTS:Property DTS:Name="ObjectName">Rows</DTS:Property>'
            '<DTS:Property DTS:Name="DTSID">{55000009-0000-4000-8000-00000000DDDD}</DTS:Property>'
            '<DTS:Property DTS:Name="CreationName">Microsoft.SqlServer.Dts.Runtime.Enumerators.ADO.ForEachADOEnumerator, Microsoft.SqlServer.ForEachADOEnumerator, Version=10.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91</DTS:Property>'
            '<DTS:ObjectData><FEEADO EnumType="EnumerateRowsInFirstTable" VarName="User::Orders"/></DTS:ObjectData></DTS:ForEachEnumerator>'
            '<DTS:Executable DTS:ExecutableType="Microsoft.SqlServer.Dts.Tasks.ExecuteProcess.ExecuteProcess, Microsoft.SqlServer.ExecProcTask, Version=10.0.0.0, Culture=neutral, PublicKeyToken=89845dcd8080cc91">'
            '<DTS:Property DTS:Name="ObjectName">Append</DTS:Property><DTS:Property DTS:Name="DTSID">{55000009-0000-4000-8000-00000000EEEE}</DTS:Property>'
            f'<DTS:PropertyExpression DTS:Name="Arguments">{APPEND}</DTS:PropertyExpression>'
            '<DTS:ObjectData><ExecuteProcessData Executable="/bin/sh" Arguments=""/></DTS:ObjectData></DTS:Executable>'
            f'<DTS:Property DTS:Name="ObjectName">Each</DTS:Property><DTS:Property DTS:Name="DTSID">{LOOP_ID}</DTS:Property>'
            f'<DTS:Property DTS:Name="CreationName">STOCK:FOREACHLOOP</DTS:Property>{maps}</DTS:Executable>\n')


RECORDSET = dict(
    name="Recordset", seed=9,
    variables=[("Orders", 13, ""), ("Id", 3, "0"), ("Name", 8, ""), ("Qty", 3, "0"), ("Out", 8, "/tmp/recordset.txt")],
    managers=[
        cm("Orders", "C:\\data\\orders.csv", [col("id", t("i4")), col("customer", STR50), col("region", STR20),
                                               col("amount", AMOUNT), col("qty", t("i4")), col("ordered", t("dbDate"))],
           qualifier='"', names=True),
    ],
    flow=dict(components=[
        ff_source("Read orders", "Orders", [col("id", t("i4")), col("customer", STR50), col("region", STR20),
                                            col("amount", AMOUNT), col("qty", t("i4")), col("ordered", t("dbDate"))]),
        dict(name="Keep rows", kind="Recordset", contact="Recordset Destination",
             props=[("VariableName", "User::Orders", "System.String")],
             inputs=[dict(name="Recordset Destination Input", side_effects=True,
                          columns=[{"from": "Read orders.Flat File Source Output.id"},
                                   {"from": "Read orders.Flat File Source Output.customer"},
                                   {"from": "Read orders.Flat File Source Output.qty"}])]),
    ], paths=[("Read orders", "Flat File Source Output", "Keep rows", "Recordset Destination Input")]),
    after=foreach_ado, after_name="Each", after_id=LOOP_ID,
)

if __name__ == "__main__":
    for spec, stem in [(ORDERS, "orders"), (CONVERT, "convert_union"), (DISPOSITIONS, "dispositions"), (FAIL, "fail_component"),
                       (BLOCKING, "blocking"), (SMALL, "small_transforms"),
                       (LOOKUP_CACHE, "lookup_cache"), (RAW, "raw_files"), (RECORDSET, "recordset")]:
        for fmt, suffix in [(3, "2008"), (8, "2016")]:
            with open(f"{stem}_{suffix}.dtsx", "w", encoding="utf-8") as f:
                f.write(package(spec, fmt))
