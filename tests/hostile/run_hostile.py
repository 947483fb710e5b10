#!/usr/bin/env python3
"""Hostile inputs through `plumb run`: every bad item gives an error record
naming the file and the item, the rest of the batch is still evaluated, the
process never crashes or hangs, and wrong JSON types at typed paths read as
absent (counted as warnings) or convert when lossless.

Usage: python3 tests/hostile/run_hostile.py --plumb build/compiler/plumb
Ends with `N passed, M failed`.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0

RULES = """
rule vol_encrypted for AWS::EC2::Volume {
  check configuration.encrypted == true
}
rule vol_small for AWS::EC2::Volume {
  check (configuration.size ?? 0) <= 500 else "volume of {configuration.size} GiB"
}
rule sg_ssh for AWS::EC2::SecurityGroup {
  check configuration.ipPermissions.none(p => (p.fromPort ?? 0) <= 22 and 22 <= (p.toPort ?? 65535)
                                              and p.ipRanges.any(r => r.isWorld()))
}
"""


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n  {str(detail)[:2000]}")


def volume(i, **conf):
    c = {"volumeId": f"vol-{i:017x}", "encrypted": True, "size": 100}
    c.update(conf)
    return {"version": "1.3", "awsAccountId": "111122223333", "configurationItemCaptureTime": "2024-01-02T03:04:05.000Z",
            "configurationItemStatus": "OK", "configurationStateId": 1704164645000, "resourceType": "AWS::EC2::Volume",
            "resourceId": f"vol-{i:017x}", "awsRegion": "eu-west-1", "tags": {}, "configuration": c,
            "supplementaryConfiguration": {}}


def run(plumb, rules, inputs, *extra, timeout=120):
    p = subprocess.run([plumb, "run", rules, "--input", *inputs, "--format", "ndjson", "--now", "2024-06-01T00:00:00Z", *extra],
                       capture_output=True, timeout=timeout, cwd=ROOT)
    out = p.stdout.decode("utf-8", "replace")
    recs = [json.loads(l) for l in out.splitlines() if l.strip()]
    return p.returncode, recs, p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    plumb = os.path.abspath(ap.parse_args().plumb)
    d = tempfile.mkdtemp()
    rules = os.path.join(d, "rules.plumb")
    open(rules, "w").write(RULES)
    good = json.dumps(volume(1))

    # NDJSON with every kind of bad line between good ones.
    bad_lines = [
        '{"resourceType": "AWS::EC2::Volume", "resourceId": "vol-trunc", "configuration": {"encrypted": tr',  # truncated
        "[" * 100000 + "]" * 100000,                                         # 100k-deep nesting
        '{"resourceType": "AWS::EC2::Volume", "resourceId": "' + "x" * (8 << 20) + '"}',  # 8 MB string
        '{"resourceType": "AWS::EC2::Volume", "resourceId": "vol-\xff\xfe", "configuration": {}}',  # invalid UTF-8 (raw bytes below)
        '{"resourceType": "AWS::EC2::Volume", "resourceId": "vol-nul\x00", "configuration": {}}',  # NUL byte
        "not json at all",
        "42",
    ]
    path = os.path.join(d, "mixed.ndjson")
    with open(path, "wb") as f:
        f.write((good + "\n").encode())
        for i, l in enumerate(bad_lines):
            b = l.encode("utf-8") if i != 3 else l.encode("latin-1")
            f.write(b + b"\n")
            f.write((json.dumps(volume(100 + i)) + "\n").encode())
    rc, recs, err = run(plumb, rules, [path])
    errors = [r for r in recs if "error" in r]
    evals = [r for r in recs if "rule" in r]
    check("mixed: exit 3 (some input unreadable)", rc == 3, (rc, err))
    check("mixed: no crash", rc >= 0, rc)
    ids = {e["resourceId"] for e in evals}
    want = {f"vol-{1:017x}"} | {f"vol-{100 + i:017x}" for i in range(len(bad_lines))}
    check("mixed: every good CI evaluated", want <= ids, sorted(want - ids))
    check("mixed: the 8 MB string is just a long id", any(len(i) == 8 << 20 for i in ids))
    # Bad lines are the even lines 2..14; line 6 (the 8 MB string) is valid.
    for ln in (2, 4, 8, 10, 12, 14):
        check(f"mixed: error names line {ln}",
          any(e.get("locator", "").startswith(f"line {ln}") and e.get("source") == path for e in errors), errors)
    # Invalid UTF-8 and the NUL byte inside strings are simdjson errors or decode; either way nothing crashes.
    check("mixed: output is valid UTF-8 JSON", all(isinstance(r, dict) for r in recs))

    # Wrong JSON types at typed paths: lossless conversions apply, the rest reads as absent.
    odd = [volume(200, size="750"),                 # string where int: converted -> non-compliant
           volume(201, size={"gib": 750}),          # object where int: absent -> size ?? 0 -> compliant
           volume(202, encrypted="true"),           # string "true" -> bool
           volume(203, encrypted=1),                # number where bool: absent -> non-compliant
           volume(204, size=1e400 if False else 10 ** 30),  # beyond int64
           volume(205, encrypted=None)]             # null -> absent
    path2 = os.path.join(d, "types.ndjson")
    with open(path2, "w") as f:
        for c in odd:
            f.write(json.dumps(c) + "\n")
    rc, recs, err = run(plumb, rules, [path2])
    v = {(r["rule"], r["resourceId"]): r for r in recs if "rule" in r}
    vid = lambda i: f"vol-{i:017x}"
    check("types: '750' converts to int", v[("vol_small", vid(200))]["complianceType"] == "NON_COMPLIANT", v.get(("vol_small", vid(200))))
    check("types: object where int reads as absent", v[("vol_small", vid(201))]["complianceType"] == "COMPLIANT")
    check("types: 'true' converts to bool", v[("vol_encrypted", vid(202))]["complianceType"] == "COMPLIANT")
    check("types: 1 where bool reads as absent", v[("vol_encrypted", vid(203))]["complianceType"] == "NON_COMPLIANT")
    check("types: 10**30 where int does not crash", ("vol_small", vid(204)) in v)
    check("types: null is absent", "absent" in v[("vol_encrypted", vid(205))]["annotation"], v[("vol_encrypted", vid(205))])
    check("types: exit 1 (non-compliant, all read)", rc == 1, (rc, err))
    rc, out, _ = (lambda p: (p.returncode, p.stdout.decode(), p.stderr.decode()))(subprocess.run(
        [plumb, "run", rules, "--input", path2, "--format", "json"], capture_output=True, cwd=ROOT, timeout=60))
    summary = json.loads(out)["summary"]
    check("types: conversions that lose data are counted as warnings", summary.get("decodeWarnings", 0) >= 3, summary)

    # Empty file, gzip bomb, directory with a symlink loop and a broken link.
    empty = os.path.join(d, "empty.json")
    open(empty, "w").close()
    bomb = os.path.join(d, "bomb.json.gz")
    with gzip.open(bomb, "wb") as g:
        chunk = b" " * (1 << 20)
        for _ in range(200):
            g.write(chunk)
    tree = os.path.join(d, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    os.symlink(tree, os.path.join(tree, "sub", "loop"))
    os.symlink(os.path.join(d, "missing.json"), os.path.join(tree, "broken.json"))
    with open(os.path.join(tree, "ok.json"), "w") as f:
        f.write(json.dumps(volume(300)))
    rc, recs, err = run(plumb, rules, [empty, bomb, tree], "--max-item-bytes", str(64 << 20))
    errors = [r for r in recs if "error" in r]
    check("files: empty file is an error record", any(e["source"] == empty for e in errors), errors)
    check("files: the good file in the tree is evaluated", any(r.get("resourceId") == f"vol-{300:017x}" for r in recs), recs)
    check("files: broken link reported", any("broken.json" in e["source"] for e in errors), errors)
    check("files: exit 3", rc == 3, rc)

    # A CI larger than --max-item-bytes is refused with the limit in the message.
    big = os.path.join(d, "big.ndjson")
    with open(big, "w") as f:
        f.write(json.dumps(volume(400, description="y" * 200000)) + "\n" + good + "\n")
    rc, recs, err = run(plumb, rules, [big], "--max-item-bytes", "100000")
    errors = [r for r in recs if "error" in r]
    check("limit: oversized item refused, naming the limit", errors and "limit" in errors[0]["error"], errors)
    check("limit: the next item still evaluated", any(r.get("resourceId") == f"vol-{1:017x}" for r in recs))

    # A user-set nesting limit: deeper values read as absent, the warning names the limit.
    deep = os.path.join(d, "deep.json")
    with open(deep, "w") as f:
        f.write(json.dumps(volume(500)))
    p = subprocess.run([plumb, "run", rules, "--input", deep, "--format", "json", "--max-depth", "1"],
                       capture_output=True, cwd=ROOT, timeout=60)
    doc = json.loads(p.stdout)
    check("max-depth: deeper values absent, named in the warning",
          any("deeper than 1 levels" in w for w in doc["summary"]["warningSamples"]), doc["summary"])
    p = subprocess.run([plumb, "run", rules, "--input", deep, "--max-depth", "0"], capture_output=True, cwd=ROOT, timeout=60)
    check("max-depth: a bad value is a usage error", p.returncode == 2 and b"--max-depth" in p.stderr, p.stderr)

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
