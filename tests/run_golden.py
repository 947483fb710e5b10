#!/usr/bin/env python3
"""Golden-file tests of the Plumb front end (`plumb check`).

Each case is a `.plumb` file (or a directory of `.plumb` files, for cases that
need several files: imports, packages) under tests/golden/<phase>/:

  parse/  syntax; output is `plumb check --dump-ast` stdout plus diagnostics
  check/  names and types; `ok_*` cases run with `--dump-types`, every other
          case (`fail_*`, `warn_*`) with the plain diagnostics text

The expected output sits beside the input as `<name>.expected`: stdout, then
stderr, then a last line `exit: N`. plumb runs from the repository root with
relative paths and --color=never, so the output holds no absolute paths.

Directives, in `//` comments at the top of the case file (for a directory
case: of its first file in name order):
  // skip: REASON       the case is not run (a known bug; see KNOWN_ISSUES.md)
  // args: --no-stdlib  extra arguments for plumb check

Usage: python3 tests/run_golden.py --plumb build/compiler/plumb [--update] [FILTER...]
FILTER is a substring of the case name (`check/fail_unknown_property`).
Exit status: 0 when every case that ran passed, 1 otherwise, 2 on bad usage.
"""

import argparse
import difflib
import os
import shlex
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join("tests", "golden")
PHASES = ("parse", "check")
TIMEOUT_S = 60


class Case:
    def __init__(self, phase, name, path, is_dir):
        self.phase = phase
        self.name = name  # file name without .plumb, or the directory name
        self.path = path  # relative to the repository root
        self.is_dir = is_dir
        self.expected = os.path.join(GOLDEN, phase, name + ".expected")
        self.skip = None
        self.args = []

    @property
    def id(self):
        return f"{self.phase}/{self.name}"

    def header_file(self):
        if not self.is_dir:
            return self.path
        files = sorted(f for f in os.listdir(os.path.join(REPO, self.path)) if f.endswith(".plumb"))
        return os.path.join(self.path, files[0]) if files else None

    def read_directives(self):
        f = self.header_file()
        if not f:
            return
        with open(os.path.join(REPO, f), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                s = line.strip()
                if not s.startswith("//") or s.startswith("///"):
                    break
                body = s[2:].strip()
                if body.startswith("skip:"):
                    self.skip = body[len("skip:"):].strip() or "no reason given"
                elif body.startswith("args:"):
                    self.args += shlex.split(body[len("args:"):])

    def command(self, plumb):
        cmd = [plumb, "check", "--color=never"]
        if self.phase == "parse":
            cmd.append("--dump-ast")
        elif self.name.startswith("ok_"):
            cmd.append("--dump-types")
        return cmd + self.args + [self.path]


def discover():
    cases = []
    for phase in PHASES:
        d = os.path.join(REPO, GOLDEN, phase)
        if not os.path.isdir(d):
            continue
        for entry in sorted(os.listdir(d)):
            full = os.path.join(d, entry)
            rel = os.path.join(GOLDEN, phase, entry)
            if entry.endswith(".plumb") and os.path.isfile(full):
                cases.append(Case(phase, entry[: -len(".plumb")], rel, False))
            elif os.path.isdir(full):
                cases.append(Case(phase, entry, rel, True))
    for c in cases:
        c.read_directives()
    return cases


def run(case, plumb):
    env = dict(os.environ)
    # Diagnostics in stdlib files then name them by a relative path too.
    env["PLUMB_STDLIB"] = "stdlib"
    try:
        p = subprocess.run(case.command(plumb), cwd=REPO, env=env, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"timeout: plumb ran longer than {TIMEOUT_S}s\n"
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    if out and not out.endswith("\n"):
        out += "\n"
    if p.returncode < 0:
        try:
            name = signal.Signals(-p.returncode).name
        except ValueError:
            name = str(-p.returncode)
        return out + f"exit: signal {name}\n"
    return out + f"exit: {p.returncode}\n"


def main():
    ap = argparse.ArgumentParser(description="Golden-file tests of plumb check.")
    ap.add_argument("--plumb", required=True, help="path to the plumb executable")
    ap.add_argument("--update", action="store_true", help="rewrite the .expected files of the cases run")
    ap.add_argument("filters", nargs="*", metavar="FILTER", help="run only cases whose phase/name contains FILTER")
    a = ap.parse_args()
    plumb = os.path.abspath(a.plumb)
    if not os.access(plumb, os.X_OK):
        print(f"run_golden: {a.plumb} is not an executable", file=sys.stderr)
        return 2

    cases = [c for c in discover() if not a.filters or any(f in c.id for f in a.filters)]
    if not cases:
        print("run_golden: no cases match", file=sys.stderr)
        return 2
    passed = failed = skipped = updated = 0
    for c in cases:
        if c.skip:
            skipped += 1
            print(f"SKIP {c.id}: {c.skip}")
            continue
        actual = run(c, plumb)
        exp_path = os.path.join(REPO, c.expected)
        expected = None
        if os.path.exists(exp_path):
            with open(exp_path, encoding="utf-8", errors="replace") as fh:
                expected = fh.read()
        if a.update:
            if expected != actual:
                with open(exp_path, "w", encoding="utf-8") as fh:
                    fh.write(actual)
                updated += 1
                print(f"UPDATED {c.id}")
            passed += 1
            continue
        if expected == actual:
            passed += 1
            continue
        failed += 1
        if expected is None:
            print(f"FAIL {c.id}: no {c.expected} (run with --update to create it)")
            sys.stdout.write(actual)
            continue
        print(f"FAIL {c.id}")
        sys.stdout.writelines(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=c.expected,
                tofile="actual",
            )
        )
    if skipped:
        print(f"{skipped} skipped (see tests/golden/KNOWN_ISSUES.md)")
    if a.update:
        print(f"{updated} expected file{'s' if updated != 1 else ''} written")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
