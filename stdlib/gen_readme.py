#!/usr/bin/env python3
"""Generates the rule table of stdlib/README.md from the sources in stdlib/aws.

usage: python3 stdlib/gen_readme.py          rewrite the table in stdlib/README.md
       python3 stdlib/gen_readme.py --check  exit 1 (with a diff) if the table is stale

The table sits between the markers <!-- rules:begin --> and <!-- rules:end -->.
It is read straight from the .plumb files (doc comments, @managed, @severity, the
`rule NAME for TYPES` header and its `param` clauses) so the check needs no built
plumb binary. Rules are listed by managed identifier, then rule name.
"""
import difflib, pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent
AWS = ROOT / "aws"
README = ROOT / "README.md"
BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"

RULE_RE = re.compile(r"^rule\s+(\w+)\s+for\s+(.*?)\s*(\{)?\s*$")
PARAM_RE = re.compile(r"^param\s+(\w+)\s*:\s*([^=]+?)\s*(?:=\s*(.*?))?\s*(\{)?\s*$")


def parse_file(path):
    """Yields one dict per rule of a .plumb file."""
    lines = path.read_text().splitlines()
    doc, annots = [], {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("///"):
            doc.append(line[3:].strip())
            continue
        m = re.match(r'^@(\w+)(?:\((.*)\))?$', line)
        if m:
            annots[m.group(1)] = (m.group(2) or "").strip().strip('"')
            continue
        m = RULE_RE.match(line)
        if not m:
            if line and not line.startswith("//"):
                doc, annots = [], {}
            continue
        types, body_open = m.group(2), m.group(3)
        params = []
        # Header continuation: more types (after a trailing comma), param and
        # when clauses, up to the `{` that opens the body.
        while not body_open and i < len(lines):
            nxt = lines[i].strip()
            i += 1
            if nxt == "{":
                break
            pm = PARAM_RE.match(nxt)
            if pm:
                params.append((pm.group(1), pm.group(2).strip(), (pm.group(3) or "").strip()))
                body_open = pm.group(4)
            elif nxt.startswith("when") or not nxt.startswith(("AWS::", ",")) and not types.endswith(","):
                body_open = nxt.endswith("{")
            else:
                types += " " + nxt.rstrip("{").strip()
                body_open = nxt.endswith("{")
        yield {
            "name": m.group(1),
            "types": [t.strip() for t in types.split(",") if t.strip()],
            "managed": annots.get("managed", ""),
            "severity": annots.get("severity", ""),
            "params": params,
            "doc": " ".join(doc),
            "file": path.relative_to(ROOT).as_posix(),
        }
        doc, annots = [], {}


def rules():
    out = []
    for path in sorted(AWS.glob("*.plumb")):
        if path.name.endswith("_test.plumb"):
            continue
        found = list(parse_file(path))
        declared = len(re.findall(r"^\s*rule\s+\w+\s+for\b", path.read_text(), flags=re.M))
        if len(found) != declared:  # never publish a table that silently lost a rule
            sys.exit(f"{path}: parsed {len(found)} of {declared} rules; fix gen_readme.py")
        out.extend(found)
    return sorted(out, key=lambda r: (r["managed"], r["name"]))


def table(rs):
    esc = lambda s: s.replace("|", "\\|")
    n_ids = len({r["managed"] for r in rs if r["managed"]})
    rows = [f"{len(rs)} rules, {n_ids} managed-rule identifiers.", "",
            "| Identifier | Rule | Resource types | Parameters (defaults) | Severity |",
            "|---|---|---|---|---|"]
    for r in rs:
        params = "<br>".join(f"`{p}: {t}" + (f" = {d}`" if d else "`") for p, t, d in r["params"]) or "—"
        rows.append(f"| {r['managed'] or '—'} | `{r['name']}` ({r['file']}) | "
                    f"{'<br>'.join(r['types'])} | {esc(params)} | {r['severity'] or '—'} |")
    return "\n".join(rows)


def render(text):
    if BEGIN not in text or END not in text:
        sys.exit(f"{README}: markers {BEGIN} / {END} not found")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table(rules())}\n{END}{tail}"


def main():
    current = README.read_text()
    wanted = render(current)
    if "--check" in sys.argv[1:]:
        if current != wanted:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                       "README.md", "README.md (generated)"))
            print("stdlib/README.md is stale: run python3 stdlib/gen_readme.py", file=sys.stderr)
            return 1
        print(f"stdlib/README.md is current ({len(rules())} rules)")
        return 0
    README.write_text(wanted)
    print(f"wrote {README} ({len(rules())} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
