#!/usr/bin/env python3
"""End-to-end tests of rule packs: plumb build / inspect / run --pack, the C
API through examples/embed (C and Python), and an installed tree.

usage: run_pack_tests.py --plumb P --runtime LIB --embed EXE --source-dir S --build-dir B TEST
TEST is one of: build_inspect jit_vs_pack refusals params embed_c embed_python install
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

NOW = "2024-06-01T00:00:00Z"
A = None
TMP = None
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what)


def run(args, env=None, input=None, ok_codes=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(args, capture_output=True, env=e, input=input)
    if ok_codes is not None and p.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(map(str, args))}: status {p.returncode}\n{p.stderr.decode()}")
    return p


def src(*parts):
    return os.path.join(A.source_dir, *parts)


def build_pack(rules, out, extra=()):
    run([A.plumb, "build", *([rules] if isinstance(rules, str) else rules), "-o", out, *extra], ok_codes=[0])
    return out


def network_pack():
    return build_pack(src("examples", "rules", "network.plumb"), os.path.join(TMP, "network.so"))


def test_build_inspect():
    rules = src("examples", "rules", "network.plumb")
    pack = network_pack()
    check(os.path.getsize(pack) > 0, "pack written")
    text = run([A.plumb, "inspect", pack], ok_codes=[0]).stdout.decode()
    for want in ["pack      network", "3 rule(s)", "restricted_ssh  [high]", "managed:        INCOMING_SSH_DISABLED",
                 "resource types: AWS::EC2::Volume",
                 'param           requiredTags: list<string> = ["Environment", "Owner", "CostCenter"]',
                 "EBS volumes must be encrypted.", "entry points:   plumb.rule.0.0"]:
        check(want in text, f"inspect text shows {want!r}")
    m = json.loads(run([A.plumb, "inspect", pack, "--format", "json"], ok_codes=[0]).stdout)
    check(m["manifest_version"] == 1 and m["abi_version"] == 1, "manifest and ABI versions")
    check(m["name"] == "network" and m["compiler"].startswith("plumb "), "name and compiler")
    check([r["name"] for r in m["rules"]] == ["restricted_ssh", "encrypted_volumes", "required_tags"], "rule names")
    r0 = m["rules"][0]
    check(r0["severity"] == "high" and r0["managed"] == "INCOMING_SSH_DISABLED"
          and r0["resource_types"] == ["AWS::EC2::SecurityGroup"], "rule metadata")
    check(m["rules"][2]["params"] == [{"name": "requiredTags", "type": "list<string>",
                                       "default": '["Environment", "Owner", "CostCenter"]'}], "param declarations")
    digest = hashlib.sha256(open(rules, "rb").read()).hexdigest()
    check(m["sources"] == [{"path": rules, "sha256": digest}], "source hash")
    listing = "".join(f"{f['path']}\0{f['sha256']}\n" for f in m["sources"])
    check(m["sources_sha256"] == hashlib.sha256(listing.encode()).hexdigest(), "sources_sha256 over the list")
    check(len(m["schemas"]) > 0 and re.fullmatch(r"[0-9a-f]{64}", m["schemas_sha256"]), "schema hashes")
    check(len(m["entries"]) == 3 and len(m["types"]) > 3, "entries and types")
    # A changed source changes the hash; the same source gives the same manifest.
    again = json.loads(run([A.plumb, "inspect", build_pack(rules, os.path.join(TMP, "again.so")), "--format",
                            "json"], ok_codes=[0]).stdout)
    check(again == m | {"name": "again"}, "rebuilding gives the same manifest")
    edited = os.path.join(TMP, "network.plumb")
    shutil.copy(rules, edited)
    with open(edited, "a") as f:
        f.write("\n// edited\n")
    m2 = json.loads(run([A.plumb, "inspect", build_pack(edited, os.path.join(TMP, "edited.so")), "--format", "json"],
                        ok_codes=[0]).stdout)
    check(m2["sources_sha256"] != m["sources_sha256"] and m2["schemas_sha256"] == m["schemas_sha256"],
          "an edited source changes only the source hash")
    # Missing tools: a clear message, not a linker dump.
    p = run([A.plumb, "build", rules, "-o", os.path.join(TMP, "x.so")], env={"CC": "/nonexistent/cc"})
    err = p.stderr.decode()
    check(p.returncode == 2 and "no C compiler driver" in err and err.count("\n") == 1, f"missing cc: {err!r}")
    p = run([A.plumb, "build", rules, "-o", os.path.join(TMP, "x.so"), "--runtime", "/nonexistent/libplumb_runtime.so"])
    err = p.stderr.decode()
    check(p.returncode == 2 and "runtime library" in err and err.count("\n") == 1, f"missing runtime: {err!r}")
    p = run([A.plumb, "build", rules, "-o", "/nonexistent/dir/x.so"])
    err = p.stderr.decode()
    check(p.returncode == 2 and "linking the pack" in err and err.count("\n") == 1, f"unwritable output: {err!r}")
    bad = os.path.join(TMP, "bad.plumb")
    open(bad, "w").write("package t\nrule r for AWS::EC2::Volume {\n  check configuration.nosuch == 1\n}\n")
    p = run([A.plumb, "build", bad, "-o", os.path.join(TMP, "bad.so")])
    check(p.returncode == 2 and not os.path.exists(os.path.join(TMP, "bad.so")), "rules with errors build nothing")
    # A pack named where rule source goes (forgetting --pack): says what it is.
    pack = build_pack(rules, os.path.join(TMP, "given_as_rules.so"))
    for cmd, code in ((["run", pack, "-i", src("tests", "data", "ci")], 2), (["check", pack], 1)):
        p = run([A.plumb, *cmd])
        err = p.stderr.decode()
        check(p.returncode == code and "plumb run --pack" in err and "UTF-8" not in err and f"{pack}:1:1" in err
              and "ELF" in err and "\x00" not in err and "\x7f" not in err, f"plumb {cmd[0]} pack.so: {err!r}")


def compare(rules, pack, inputs, extra=(), fmt="ndjson"):
    common = ["--now", NOW, "-f", fmt, *extra]
    jit = run([A.plumb, "run", *rules, "-i", *inputs, *common])
    pk = run([A.plumb, "run", "--pack", pack, "-i", *inputs, *common])
    what = f"{' '.join(os.path.basename(r) for r in rules)} on {' '.join(os.path.basename(i) for i in inputs)} {fmt} {extra}"
    check(jit.returncode == pk.returncode, f"same exit status ({jit.returncode} vs {pk.returncode}): {what}")
    # json's summary holds the run's wall time: the only field allowed to differ.
    norm = (lambda b: re.sub(rb'"seconds":[0-9.e-]+', b'"seconds":0', b)) if fmt == "json" else (lambda b: b)
    check(norm(jit.stdout) == norm(pk.stdout), f"byte-identical output: {what}")
    check(len(jit.stdout) > 0, f"some output: {what}")
    return jit.stdout


def test_jit_vs_pack():
    rules = [src("examples", "rules", "network.plumb")]
    pack = network_pack()
    for fmt in ["ndjson", "json", "evaluations"]:
        compare(rules, pack, [src("tests", "data", "ci")], fmt=fmt)
    out = compare(rules, pack, [src("examples", "embed", "sample_cis.ndjson")], ["-j", "2"])
    check(out.count(b"NON_COMPLIANT") == 3, "sample CIs: 3 non-compliant")
    out = compare(rules, pack, [src("examples", "embed", "sample_cis.ndjson")],
                  ["--param", "required_tags.requiredTags=Owner"])
    check(out.count(b"NON_COMPLIANT") == 2, "a parameter override changes the verdict the same way")
    params = os.path.join(TMP, "params.json")
    json.dump({"required_tags": {"requiredTags": ["Owner", "Team"]}}, open(params, "w"))
    compare(rules, pack, [src("examples", "embed", "sample_cis.ndjson")], ["--params", params])
    # The bench corpus with the bench rules, when the bench helper is there.
    gen, bench_rules = src("bench", "gen_cis.py"), src("bench", "rules")
    if os.path.exists(gen) and os.path.isdir(bench_rules):
        corpus = os.path.join(TMP, "bench.ndjson")
        run([sys.executable, gen, "--count", "4000", "--seed", "7", "-o", corpus], ok_codes=[0])
        bpack = build_pack(bench_rules, os.path.join(TMP, "bench.so"))
        out = compare([bench_rules], bpack, [corpus], ["-j", "2"])
        check(out.count(b"\n") > 3000, "bench corpus evaluated")


def patched(pack, offset_in_header, value, name):
    data = bytearray(open(pack, "rb").read())
    i = data.find(b"PLUMBPK\0")
    assert i >= 0
    struct.pack_into("<I", data, i + offset_in_header, value)
    out = os.path.join(TMP, name)
    open(out, "wb").write(data)
    return out


def refused(path, want):
    for cmd in (["inspect", path], ["run", "--pack", path, "-i", src("examples", "embed", "sample_cis.ndjson")]):
        p = run([A.plumb, *cmd])
        err = p.stderr.decode()
        check(p.returncode == 2 and want in err and "Traceback" not in err and len(err) < 400,
              f"{cmd[0]} refuses {os.path.basename(path)} with {want!r}: {err!r}")


def test_refusals():
    pack = network_pack()
    refused(src("examples", "embed", "sample_cis.ndjson"), "not a Plumb pack (not an ELF")
    refused(A.runtime, "not a Plumb pack (no .plumb_pack section")
    refused(patched(pack, 8, 99, "abi99.so"), "pack ABI version 99, but this runtime reads version 1")
    refused(patched(pack, 12, 5, "manifest5.so"), "pack manifest version 5")
    truncated = os.path.join(TMP, "truncated.so")
    open(truncated, "wb").write(open(pack, "rb").read()[:4000])
    refused(truncated, "not a Plumb pack")
    refused(os.path.join(TMP, "missing.so"), "cannot open")


PARAM_RULES = """package t

rule old_volumes for AWS::EC2::Volume
  param maxAge: duration = 30d
  param maxSize: int
{
  check (configuration.size ?? 0) <= maxSize else "volume too large"
}
"""


def test_params():
    rules = os.path.join(TMP, "params.plumb")
    open(rules, "w").write(PARAM_RULES)
    pack = build_pack(rules, os.path.join(TMP, "params.so"))
    m = json.loads(run([A.plumb, "inspect", pack, "--format", "json"], ok_codes=[0]).stdout)
    check(m["rules"][0]["params"] == [{"name": "maxAge", "type": "duration", "default": "30d"},
                                      {"name": "maxSize", "type": "int", "default": None}], "declared params")
    inputs = ["-i", src("examples", "embed", "sample_cis.ndjson"), "--now", NOW, "-f", "ndjson"]
    for extra in ([], ["--param", "old_volumes.maxSize=abc"], ["--param", "old_volumes.maxAge=soon",
                                                                 "--param", "old_volumes.maxSize=1"]):
        jit = run([A.plumb, "run", rules, *inputs, *extra])
        pk = run([A.plumb, "run", "--pack", pack, *inputs, *extra])
        check(jit.returncode == pk.returncode == 2, f"bad params refused both ways {extra}")
        check(jit.stderr == pk.stderr, f"same message {extra}: {jit.stderr!r} vs {pk.stderr!r}")
    p = run([A.plumb, "run", "--pack", pack, *inputs, "--param", "old_volumes.nope=1"])
    check(p.returncode == 2 and b"has no parameter `nope`" in p.stderr, "unknown parameter")
    p = run([A.plumb, "run", "--pack", pack, *inputs, "--param", "nosuch.x=1"])
    check(p.returncode == 2 and b"no rule `nosuch`" in p.stderr, "unknown rule")
    for size, verdict in (("50", b"NON_COMPLIANT"), ("100", b'"COMPLIANT"')):
        extra = ["--param", f"old_volumes.maxSize={size}"]
        jit = run([A.plumb, "run", rules, *inputs, *extra])
        pk = run([A.plumb, "run", "--pack", pack, *inputs, *extra])
        check(jit.stdout == pk.stdout and verdict in pk.stdout, f"maxSize={size}: {pk.stdout!r}")


def embed_expectations(out, tags_param):
    check("pack network: 3 rule(s)" in out, "embed: pack name and rule count")
    check("NON_COMPLIANT restricted_ssh AWS::EC2::SecurityGroup sg-0b1a5ee1: port 22 is open to the world" in out,
          "embed: open SSH is non-compliant")
    check("COMPLIANT restricted_ssh AWS::EC2::SecurityGroup sg-0c0ffee0" in out, "embed: internal SG compliant")
    check("NON_COMPLIANT encrypted_volumes AWS::EC2::Volume vol-0123456789abcdef0" in out, "embed: plain volume")
    check("COMPLIANT encrypted_volumes AWS::EC2::Volume vol-0fedcba9876543210" in out, "embed: eval_json volume")
    if tags_param:
        check("COMPLIANT required_tags AWS::EC2::Instance i-0abc1234def567890" in out, "embed: param applied")
    else:
        check("required_tags AWS::EC2::Instance i-0abc1234def567890: Missing required tags: CostCenter" in out,
              "embed: default param")


def test_embed_c(embed=None, pack=None):
    pack = pack or network_pack()
    embed = embed or A.embed
    cis = src("examples", "embed", "sample_cis.ndjson")
    p = run([embed, pack, cis])
    out = p.stdout.decode()
    check(p.returncode == 1, f"embed exit status {p.returncode}: {p.stderr!r}")
    embed_expectations(out, False)
    check("5 evaluation(s), 3 not compliant, 0 input error(s)" in out, "embed: totals")
    p = run([embed, pack, cis, "required_tags.requiredTags=Environment,Owner"])
    embed_expectations(p.stdout.decode(), True)
    p = run([embed, pack, cis, "required_tags.nope=1"])
    check(p.returncode == 2 and b"has no parameter `nope`" in p.stderr, "embed: bad parameter")
    p = run([embed, cis, cis])
    check(p.returncode == 2 and b"not a Plumb pack" in p.stderr, "embed: refuses a non-pack")


def test_embed_python():
    pack = network_pack()
    cis = src("examples", "embed", "sample_cis.ndjson")
    p = run([sys.executable, src("examples", "embed", "embed.py"), pack, cis, "--runtime", A.runtime])
    out = p.stdout.decode()
    check(p.returncode == 1, f"embed.py exit status {p.returncode}: {p.stderr!r}")
    check("pack network: 3 rule(s): restricted_ssh, encrypted_volumes, required_tags" in out, "embed.py: rules")
    check("NON_COMPLIANT restricted_ssh sg-0b1a5ee1: port 22 is open to the world" in out, "embed.py: callback")
    check("COMPLIANT required_tags i-0abc1234def567890" in out, "embed.py: parameter set through the C API")
    # The rendered ndjson equals `plumb run` on the same CIs with the same parameter.
    rendered = out.split("-- as ndjson --\n", 1)[1].encode()
    cli = run([A.plumb, "run", "--pack", pack, "-i", cis, "-f", "ndjson", "--param",
               "required_tags.requiredTags=Environment, Owner"]).stdout
    strip = lambda b: re.sub(rb',"source":"[^"]*"|,"locator":"[^"]*"', b"", b)
    check(strip(rendered) == strip(cli), f"embed.py ndjson matches plumb run:\n{rendered!r}\n{cli!r}")
    p = run([sys.executable, src("examples", "embed", "embed.py"), cis, cis, "--runtime", A.runtime])
    check(p.returncode == 2 and b"not a Plumb pack" in p.stderr, "embed.py: refuses a non-pack")


def test_install():
    prefix = os.path.join(TMP, "prefix")
    run(["cmake", "--install", A.build_dir, "--prefix", prefix], ok_codes=[0])
    libdir = next(d for d in ("lib", "lib64", "lib/x86_64-linux-gnu") if
                  os.path.exists(os.path.join(prefix, d, "cmake", "plumb", "plumbConfig.cmake")))
    for f in ["bin/plumb", f"{libdir}/libplumb_runtime.so.0", "include/plumb/pack.h", "include/plumb/pack.def",
              "include/plumb/value.h", f"{libdir}/cmake/plumb/plumbConfigVersion.cmake",
              "share/plumb/examples/embed/embed.c"]:
        check(os.path.exists(os.path.join(prefix, f)), f"installed {f}")
    check(os.path.isdir(os.path.join(prefix, "share", "plumb", "stdlib", "schemas")), "installed stdlib")
    plumb = os.path.join(prefix, "bin", "plumb")
    env = {"PLUMB_STDLIB": os.path.join(prefix, "share", "plumb", "stdlib")}
    pack = os.path.join(TMP, "installed.so")
    p = run([plumb, "build", src("examples", "rules", "network.plumb"), "-o", pack, "--name", "network"], env=env)
    check(p.returncode == 0, f"installed plumb builds a pack: {p.stderr!r}")
    needed = run(["readelf", "-d", pack]).stdout.decode()
    check(os.path.join(prefix, libdir) in needed, "the pack finds the installed runtime")
    bdir = os.path.join(TMP, "embed-build")
    p = run(["cmake", "-S", src("examples", "embed"), "-B", bdir, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}"])
    check(p.returncode == 0, f"find_package(plumb) configures: {p.stdout[-800:]!r} {p.stderr[-800:]!r}")
    p = run(["cmake", "--build", bdir])
    check(p.returncode == 0, f"embed.c builds against the installed tree: {p.stdout[-800:]!r}")
    embed = os.path.join(bdir, "embed")
    libs = run(["ldd", embed]).stdout.decode()
    check(os.path.join(prefix, libdir, "libplumb_runtime.so.0") in libs, f"embed uses the installed runtime: {libs}")
    test_embed_c(embed, pack)


def main():
    global A, TMP
    ap = argparse.ArgumentParser()
    for opt in ("--plumb", "--runtime", "--embed", "--source-dir", "--build-dir"):
        ap.add_argument(opt, required=True)
    ap.add_argument("test")
    A = ap.parse_args()
    TMP = tempfile.mkdtemp(prefix="plumb-pack-test-")
    try:
        globals()["test_" + A.test]()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
