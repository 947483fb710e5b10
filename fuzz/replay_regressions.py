#!/usr/bin/env python3
"""Replays inputs that once crashed a fuzz target through the normal `plumb`
binary: fuzz/regressions/fuzz_parse_check/* with `plumb check`,
fuzz/regressions/fuzz_ci_input/* as the --input of `plumb run`. Each must end
with a normal exit status (no signal, no sanitizer report) within 60 s.

Usage: python3 fuzz/replay_regressions.py --plumb build/compiler/plumb
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = """
rule sg_world for AWS::EC2::SecurityGroup {
  check configuration.ipPermissions.none(p => p.ipRanges.any(r => r.isWorld()))
}
rule vol_encrypted for AWS::EC2::Volume {
  check configuration.encrypted == true
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="plumb_replay_")
    rules = os.path.join(tmp, "rules.plumb")
    with open(rules, "w") as f:
        f.write(RULES)
    failed = passed = 0
    for target, make_cmd in (
        ("fuzz_parse_check", lambda p: [args.plumb, "check", p]),
        ("fuzz_ci_input", lambda p: [args.plumb, "run", rules, "--input", p]),
    ):
        d = os.path.join(HERE, "regressions", target)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            src = os.path.join(d, name)
            # `plumb check` takes *.plumb; the reader detects formats from content.
            dst = os.path.join(tmp, name + (".plumb" if target == "fuzz_parse_check" else ".json"))
            shutil.copyfile(src, dst)
            try:
                r = subprocess.run(make_cmd(dst), capture_output=True, text=True, errors="replace", timeout=60)
                ok = 0 <= r.returncode < 64 and "Sanitizer" not in r.stderr
                detail = f"exit {r.returncode}: {r.stderr[-400:]}"
            except subprocess.TimeoutExpired:
                ok, detail = False, "timed out after 60 s"
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {target}/{name}: {detail}")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
