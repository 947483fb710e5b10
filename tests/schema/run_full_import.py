#!/usr/bin/env python3
"""Full import of AWS's published property lists, when a copy is present.

  run_full_import.py --plumb PATH [--data DIR]

DIR (default: ../shared/data next to the repository) must hold
config-resource-schema/ (aws-config-resource-schema) and example-cis/. When it
is absent the test prints "skipped" and exits 0: the data is not part of the
project. Otherwise:
- `plumb schema import` of every TYPE.properties.json (with the example CIs
  as --samples) succeeds, and every type is declared (imported, or by the
  stdlib, whose hand-written schemas win);
- `plumb check` is clean with the result (stdlib + examples/rules +
  tests/schema/full_rules, rules over imported types);
- `plumb schema cover` types every readable example CI without a single
  unknown path or a value of another shape.
- `plumb schema infer` of the example CIs alone checks and types them too.
Counts are printed; the import without samples is reported for comparison.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def run(plumb, *args):
    return subprocess.run([plumb, *args], capture_output=True, text=True, timeout=600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    a = ap.parse_args()
    props = os.path.join(a.data, "config-resource-schema")
    cis = os.path.join(a.data, "example-cis")
    if not os.path.isdir(props) or not os.path.isdir(cis):
        print(f"skipped: {props} or {cis} is absent")
        return 0
    plumb = os.path.abspath(a.plumb)
    failures = []
    tmp = tempfile.mkdtemp(prefix="plumb-schema-full-")
    try:
        out = os.path.join(tmp, "gen")
        p = run(plumb, "schema", "import", props, "-o", out, "--samples", cis)
        print(p.stdout.strip())
        if p.returncode != 0:
            failures.append(f"import failed ({p.returncode}):\n{p.stderr}")
        types = {os.path.basename(f)[: -len(".properties.json")]
                 for f in glob.glob(os.path.join(props, "config", "properties", "resource-types", "*.properties.json"))}
        types.discard("AWS")
        p = run(plumb, "schema", "list", "--schemas", out)
        known = set(p.stdout.split())
        missing = sorted(types - known)
        if missing:
            failures.append(f"{len(missing)} types not declared after import: {missing[:10]}")
        print(f"property lists: {len(types)} types; declared after import: {len(types & known)}")

        rules = [os.path.join(REPO, "examples", "rules"), os.path.join(HERE, "full_rules")]
        p = run(plumb, "check", "--schemas", out, *rules)
        print("check:", (p.stdout + p.stderr).strip().splitlines()[-1] if (p.stdout + p.stderr).strip() else "")
        if p.returncode != 0:
            failures.append(f"plumb check with the imported schemas failed:\n{p.stdout}{p.stderr}")

        p = run(plumb, "schema", "cover", "--schemas", out, cis)
        summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        print("example CIs:", summary)
        m = re.match(r"(\d+) CIs: (\d+) without a schema, (\d+) unknown field paths, (\d+) paths of another shape; "
                     r"(\d+) unreadable files", summary)
        if not m:
            failures.append(f"cover printed no summary:\n{p.stdout}{p.stderr}")
        else:
            n, untyped, unknown, other, unreadable = map(int, m.groups())
            if untyped or unknown or other or n == 0:
                failures.append("example CIs not fully typed:\n" + p.stdout)
            if unreadable:
                # Files of the data set that are not JSON at all (reported, not ours to fix).
                print("  unreadable (not JSON):",
                      ", ".join(os.path.basename(l.split(":")[0]) for l in p.stdout.splitlines() if "not JSON" in l))

        # The rules evaluate on the example CIs of imported types, without decode warnings.
        p = run(plumb, "run", "--schemas", out, os.path.join(HERE, "full_rules"), "--input",
                os.path.join(cis, "AWS_ECS_TaskDefinition.json"))
        if '"rule":"ecs_no_privileged"' not in p.stdout or "warning" in p.stdout + p.stderr:
            failures.append(f"plumb run over an imported type:\n{p.stdout}{p.stderr}")

        # A schema inferred from the example CIs alone checks and types them too.
        inf = os.path.join(tmp, "inferred")
        p = run(plumb, "schema", "infer", cis, "-o", inf)
        print("infer:", p.stdout.strip())
        q = run(plumb, "check", "--schemas", inf, os.path.join(REPO, "examples", "rules"))
        c = run(plumb, "schema", "cover", "--schemas", inf, cis)
        summary = c.stdout.strip().splitlines()[-1] if c.stdout.strip() else ""
        print("  example CIs:", summary)
        if p.returncode or q.returncode or " 0 unknown field paths, 0 paths of another shape" not in summary:
            failures.append(f"infer from the example CIs:\n{p.stderr}{q.stdout}{q.stderr}{c.stdout}")

        # For comparison: AWS's lists and heuristics alone.
        bare = os.path.join(tmp, "bare")
        p = run(plumb, "schema", "import", props, "-o", bare)
        print("without samples:", p.stdout.strip())
        p = run(plumb, "schema", "cover", "--schemas", bare, cis)
        print("  example CIs:", p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    print(f"full import: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
