#!/usr/bin/env python3
"""Leaf paths of AWS Config configuration items, and a coverage check of the
hand-written Plumb schemas (stdlib/schemas/) against them.

Usage
  schema_paths.py CI.json [...]                 print every leaf path and its JSON type
  schema_paths.py --decode CI.json              also descend into JSON held in strings
                                                (URL-encoded IAM documents, S3 policies)
  schema_paths.py --schemas DIR CI.json [...]   report CI leaves the schemas do not cover
  schema_paths.py --schemas DIR --properties P.properties.json [...]
                                                report AWS property paths not covered
  schema_paths.py --schemas DIR                 only parse the schemas and resolve names

Paths join object keys with '.', and a list level is written '[]':
  configuration.ipPermissions[].ipv4Ranges[].cidrIp  string
A CI file may hold one CI, a list of CIs, a snapshot/history file
({"configurationItems": [...]}) or a change notification ({"configurationItem": {...}}).
Exit status: 0 when everything is covered (or in plain listing mode), 1 when the
check found gaps, 2 on unreadable input.

The schema reader here understands only the schema subset of grammar/Plumb.g4
(package, resource, type, fields, annotations). It is a test aid, not the compiler:
name resolution follows stdlib/schemas/README.md (nested type of the enclosing
resource, then the file's package, then a qualified name).
"""

import argparse
import json
import os
import re
import sys
import urllib.parse

# ---------------------------------------------------------------- CI leaves


def load_cis(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("configurationItems"), list):
        return doc["configurationItems"]
    if isinstance(doc, dict) and isinstance(doc.get("configurationItem"), dict):
        return [doc["configurationItem"]]
    return [doc]


def json_kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    return "object"


def decode_embedded(s):
    """JSON held in a string (possibly URL-encoded), or None."""
    t = s.strip()
    if t.startswith("%7B") or t.startswith("%7b"):
        t = urllib.parse.unquote(t)
    if t.startswith("{") or t.startswith("["):
        try:
            return json.loads(t)
        except ValueError:
            return None
    return None


def leaves(value, path, out, decode):
    """Appends (path, kind) for every leaf under value."""
    if isinstance(value, dict):
        if not value:
            out.append((path, "{}"))
        for k, v in value.items():
            leaves(v, f"{path}.{k}" if path else k, out, decode)
    elif isinstance(value, list):
        if not value:
            out.append((path + "[]", "[]"))
        for v in value:
            leaves(v, path + "[]", out, decode)
    elif isinstance(value, str) and decode and (inner := decode_embedded(value)) is not None:
        leaves(inner, path + "<json>", out, decode)
    else:
        out.append((path, json_kind(value)))


# ------------------------------------------------------------ schema reader

TOKEN = re.compile(
    r"""(?P<ws>\s+|///[^\n]*|//[^\n]*|/\*.*?\*/)
      | (?P<restype>[A-Za-z][A-Za-z0-9]*(?:::[A-Za-z0-9]+)+)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`\n]+`)
      | (?P<string>"(?:\\.|[^"\\\n])*")
      | (?P<int>[0-9]+)
      | (?P<punct>[{}()<>,:?@.])""",
    re.X | re.S,
)

SCALARS = {"bool", "int", "float", "string", "timestamp", "duration", "ip", "cidr", "json"}


class SchemaError(Exception):
    pass


class Field:
    def __init__(self, name, ty, annotations):
        self.name = name
        self.ty = ty
        self.annotations = annotations  # {name: [args]}


class Record:
    """A record type: named (type/resource member) or inline."""

    def __init__(self, name, fields, annotations, scope):
        self.name = name
        self.fields = fields
        self.annotations = annotations
        self.scope = scope  # (package, resource-or-None) for resolving names inside

    def lookup(self, key):
        for f in self.fields:
            if f.name == key or key in f.annotations.get("alias", []):
                return f
        return None


def tokenize(text, fname):
    pos, toks = 0, []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            line = text.count("\n", 0, pos) + 1
            raise SchemaError(f"{fname}:{line}: unexpected character {text[pos]!r}")
        if m.lastgroup != "ws":
            toks.append((m.lastgroup, m.group(), text.count("\n", 0, pos) + 1))
        pos = m.end()
    toks.append(("eof", "", text.count("\n") + 1))
    return toks


class Parser:
    def __init__(self, text, fname):
        self.toks = tokenize(text, fname)
        self.i = 0
        self.fname = fname
        self.package = ""

    def peek(self, k=0):
        return self.toks[self.i + k]

    def take(self, value=None, kind=None):
        t = self.toks[self.i]
        if (value is not None and t[1] != value) or (kind is not None and t[0] != kind):
            want = value or kind
            raise SchemaError(f"{self.fname}:{t[2]}: expected {want}, found {t[1]!r}")
        self.i += 1
        return t[1]

    def name(self):
        v = self.take(kind="ident")
        return v[1:-1] if v.startswith("`") else v

    def annotations(self):
        anns = {}
        while self.peek()[1] == "@":
            self.take("@")
            n = self.name()
            args = []
            if self.peek()[1] == "(":
                self.take("(")
                while self.peek()[1] != ")":
                    t = self.toks[self.i]
                    self.i += 1
                    if t[0] == "string":
                        args.append(json.loads(t[1]))
                    elif t[1] != ",":
                        args.append(t[1])
                self.take(")")
            anns[n] = args
        return anns

    def type_expr(self, scope):
        if self.peek()[1] == "{":
            self.take("{")
            fields = self.fields(scope)
            self.take("}")
            ty = Record(None, fields, {}, scope)
        else:
            if self.peek()[0] == "restype":
                parts = [self.take(kind="restype")]
            else:
                parts = [self.name()]
            while self.peek()[1] == ".":
                self.take(".")
                parts.append(self.name())
            args = []
            if self.peek()[1] == "<":
                self.take("<")
                args.append(self.type_expr(scope))
                while self.peek()[1] == ",":
                    self.take(",")
                    args.append(self.type_expr(scope))
                self.take(">")
            ty = ("named", ".".join(parts), args, scope)
        if self.peek()[1] == "?":
            self.take("?")
        return ty

    def fields(self, scope):
        out = []
        while self.peek()[1] != "}":
            anns = self.annotations()
            t = self.peek()
            fname = json.loads(self.take(kind="string")) if t[0] == "string" else self.name()
            self.take(":")
            out.append(Field(fname, self.type_expr(scope), anns))
            if self.peek()[1] == ",":
                self.take(",")
        return out

    def type_decl(self, anns, scope, prefix):
        self.take("type")
        n = self.name()
        self.take("{")
        fields = self.fields(scope)
        self.take("}")
        return Record(prefix + n, fields, anns, scope)

    def parse(self, registry):
        if self.peek()[1] == "package":
            self.take("package")
            parts = [self.name()]
            while self.peek()[1] == ".":
                self.take(".")
                parts.append(self.name())
            self.package = ".".join(parts)
        while self.peek()[1] == "import":
            raise SchemaError(f"{self.fname}: imports are not expected in schema files")
        while self.peek()[0] != "eof":
            anns = self.annotations()
            if self.peek()[1] == "type":
                rec = self.type_decl(anns, (self.package, None), self.package + ".")
                registry.add(rec, self.fname)
            else:
                self.take("resource")
                rt = self.take(kind="restype")
                scope = (self.package, rt)
                self.take("{")
                members = []
                while self.peek()[1] != "}":
                    a = self.annotations()
                    if self.peek()[1] == "type" and self.peek(1)[1] != ":":
                        registry.add(self.type_decl(a, scope, rt + "."), self.fname)
                    else:
                        t = self.peek()
                        fname = json.loads(self.take(kind="string")) if t[0] == "string" else self.name()
                        self.take(":")
                        members.append(Field(fname, self.type_expr(scope), a))
                        if self.peek()[1] == ",":
                            self.take(",")
                self.take("}")
                registry.add(Record(rt, members, anns, scope), self.fname, resource=True)


class Registry:
    def __init__(self):
        self.types = {}
        self.resources = {}
        self.envelope = None

    def add(self, rec, fname, resource=False):
        table = self.resources if resource else self.types
        if rec.name in table:
            raise SchemaError(f"{fname}: {rec.name} declared twice")
        table[rec.name] = rec
        if "envelope" in rec.annotations:
            self.envelope = rec

    def resolve(self, ty):
        """Follows named references to a Record, or returns ('scalar'|'list'|'map', ...)."""
        while isinstance(ty, tuple):
            _, name, args, (package, resource) = ty
            if name in SCALARS:
                return ("scalar", name)
            if name == "list":
                return ("list", args[0])
            if name == "map":
                return ("map", args[1])
            for cand in ([f"{resource}.{name}"] if resource else []) + [f"{package}.{name}", name]:
                if cand in self.types:
                    ty = self.types[cand]
                    break
            else:
                raise SchemaError(f"unknown type {name} (in {resource or package})")
        return ty

    def check_all_names(self):
        errors = []

        def visit(ty):
            try:
                r = self.resolve(ty)
            except SchemaError as e:
                errors.append(str(e))
                return
            if isinstance(ty, tuple):
                for a in ty[2]:
                    visit(a)
            elif isinstance(r, Record) and r.name is None:
                for f in r.fields:
                    visit(f.ty)

        for rec in list(self.types.values()) + list(self.resources.values()):
            for f in rec.fields:
                visit(f.ty)
        return errors


def load_schemas(directory):
    reg = Registry()
    for fn in sorted(os.listdir(directory)):
        if fn.endswith(".plumb"):
            path = os.path.join(directory, fn)
            with open(path, encoding="utf-8") as f:
                Parser(f.read(), path).parse(reg)
    return reg


# ------------------------------------------------------------ coverage check

SCALAR_OK = {
    # schema scalar -> JSON kinds it accepts
    "string": {"string"},
    "timestamp": {"string", "int"},
    "duration": {"string", "int"},
    "ip": {"string"},
    "cidr": {"string"},
    "int": {"int"},
    "float": {"int", "float"},
    "bool": {"bool"},
    "json": None,  # anything
}

AWS_TYPES = {
    "string": {"string"},
    "integer": {"int"},
    "float": {"float"},
    "boolean": {"bool"},
    "date": {"timestamp"},
    "ip": {"ip"},
    "cidr_block": {"cidr"},
}


def resource_root(reg, rtype):
    res = reg.resources.get(rtype)
    if res is None:
        return None
    fields = list(res.fields)
    if reg.envelope:
        names = {f.name for f in fields}
        fields += [f for f in reg.envelope.fields if f.name not in names]
    return Record(rtype, fields, {}, res.scope)


def check_value(reg, ty, value, path, problems, decode):
    """Walks a JSON value against a schema type, appending problems."""
    r = reg.resolve(ty)
    if value is None:
        return
    if isinstance(r, tuple) and r[0] == "scalar":
        ok = SCALAR_OK[r[1]]
        if path == "configurationStateId" and json_kind(value) == "int":
            return  # a number in 1.3 CIs; the runtime converts it to a string
        if ok is not None and json_kind(value) not in ok:
            problems.append(f"{path}: schema {r[1]}, CI has {json_kind(value)}")
        return
    if isinstance(r, tuple) and r[0] == "list":
        for v in value if isinstance(value, list) else [value]:
            check_value(reg, r[1], v, path + "[]", problems, decode)
        return
    if isinstance(r, tuple) and r[0] == "map":
        if not isinstance(value, dict):
            problems.append(f"{path}: schema map, CI has {json_kind(value)}")
            return
        for k, v in value.items():
            check_value(reg, r[1], v, f"{path}.{k}", problems, decode)
        return
    # record
    if isinstance(value, str):
        inner = decode_embedded(value)
        if inner is None:
            if "fromScalar" not in r.annotations:
                problems.append(f"{path}: schema record, CI has a string that is not JSON")
            return
        if decode:
            check_value(reg, r, inner, path + "<json>", problems, decode)
        return
    if isinstance(value, list):
        if len(value) == 1 and isinstance(value[0], dict):
            # Seen in AWS's sample IAM CIs: a policy document wrapped in a list.
            problems.append(f"{path}: schema record, CI has a one-item list holding it")
            check_value(reg, r, value[0], path + "[]", problems, decode)
        else:
            problems.append(f"{path}: schema record, CI has list")
        return
    if not isinstance(value, dict):
        if "fromScalar" not in r.annotations:
            problems.append(f"{path}: schema record, CI has {json_kind(value)}")
        return
    for k, v in value.items():
        f = r.lookup(k)
        if f is None and k == "supplementaryConfiguration" and v in ({}, None):
            continue  # CIs carry an empty one for types that have none
        if f is None:
            problems.append(f"{path}.{k}: not in schema (CI has {json_kind(v)})".lstrip("."))
            continue
        check_value(reg, f.ty, v, f"{path}.{k}" if path else k, problems, decode)


def check_property(reg, root, prop, aws_type):
    """None when the schema covers the dotted AWS property path, else a problem."""
    ty = root
    segs = prop.split(".")
    i = 0
    while True:
        r = reg.resolve(ty)
        if isinstance(r, tuple) and r[0] == "list":
            ty = r[1]
            continue
        if isinstance(r, tuple) and r[0] == "scalar":
            if r[1] == "json":
                return None
            if i < len(segs):
                return f"{prop}: schema has scalar {r[1]} at {'.'.join(segs[:i])}"
            want = AWS_TYPES.get(aws_type, set())
            if r[1] not in want and not (aws_type == "string" and r[1] in ("timestamp", "json")):
                return f"{prop}: AWS says {aws_type}, schema says {r[1]}"
            return None
        if isinstance(r, tuple) and r[0] == "map":
            if i >= len(segs):
                return None
            ty = r[1]
            i += 1  # a map key (AWS lists map entries by key name, e.g. tags.Name)
            continue
        if i >= len(segs):
            if aws_type == "string":
                return None  # an object AWS delivers as a JSON string
            return f"{prop}: AWS says {aws_type}, schema has record {r.name or '{...}'}"
        f = r.lookup(segs[i])
        if f is None:
            return f"{prop}: no field {segs[i]!r} in {r.name or '{...}'}"
        ty = f.ty
        i += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--decode", action="store_true", help="descend into JSON held in strings")
    ap.add_argument("--schemas", help="directory of .plumb schema files to check against")
    ap.add_argument("--properties", action="store_true", help="files are AWS *.properties.json")
    args = ap.parse_args()

    if not args.schemas and not args.files:
        ap.error("give CI files to list, or --schemas DIR")
    if not args.schemas:
        seen = {}
        for fn in args.files:
            try:
                cis = load_cis(fn)
            except (OSError, ValueError) as e:
                print(f"{fn}: {e}", file=sys.stderr)
                return 2
            for ci in cis:
                out = []
                leaves(ci, "", out, args.decode)
                for p, k in out:
                    seen.setdefault(p, [])
                    if k not in seen[p]:
                        seen[p].append(k)
        for p in seen:
            print(f"{p}\t{'|'.join(seen[p])}")
        return 0

    try:
        reg = load_schemas(args.schemas)
    except (OSError, SchemaError) as e:
        print(f"schema: {e}", file=sys.stderr)
        return 2
    problems = reg.check_all_names()
    status = 0
    for fn in args.files:
        try:
            if args.properties:
                with open(fn, encoding="utf-8") as f:
                    props = json.load(f)
                rtype = os.path.basename(fn).removesuffix(".properties.json")
                root = resource_root(reg, rtype)
                if root is None:
                    problems.append(f"{fn}: no schema for {rtype}")
                    continue
                for prop, aws_type in props.items():
                    if (p := check_property(reg, root, prop, aws_type)) is not None:
                        problems.append(f"{rtype}: {p}")
            else:
                for ci in load_cis(fn):
                    rtype = ci.get("resourceType", "?")
                    root = resource_root(reg, rtype)
                    if root is None:
                        problems.append(f"{fn}: no schema for {rtype}")
                        continue
                    local = []
                    check_value(reg, root, ci, "", local, args.decode)
                    problems += [f"{os.path.basename(fn)}: {p}" for p in local]
        except (OSError, ValueError) as e:
            print(f"{fn}: unreadable: {e}", file=sys.stderr)
            status = 2
        except SchemaError as e:
            problems.append(f"{fn}: {e}")
    for p in problems:
        print(p)
    return status or (1 if problems else 0)


if __name__ == "__main__":
    sys.exit(main())
