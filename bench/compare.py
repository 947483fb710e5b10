#!/usr/bin/env python3
"""A/B comparison of `plumb run` builds (or reader settings) on one corpus.

Runs every variant on the same NDJSON file, interleaved (A B C A B C ...) so
that load from other processes on a shared machine hits all of them alike, and
prints, per thread count, the best wall time, the median CPU time, peak RSS and
the ratio to the simdjson parse floor measured in the same run.

    python3 bench/compare.py --corpus /tmp/cis.ndjson \\
        --variant before=/tmp/base/build/compiler/plumb \\
        --variant after=build-reader/compiler/plumb \\
        --variant after-read=build-reader/compiler/plumb,env:PLUMB_INPUT_NO_MMAP=1 \\
        --variant after-stdin=build-reader/compiler/plumb,stdin

A variant is NAME=PATH followed by comma-separated options: `env:K=V` sets an
environment variable for that plumb; `pack:FILE` runs a pack built ahead of time
(`plumb build`) instead of the bench pack's sources; `stdin` feeds the corpus on standard
input (`--input -`, read through read(2) blocks instead of mmap).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import run_bench as rb


def parse_variant(text):
    name, _, rest = text.partition("=")
    parts = rest.split(",")
    v = {"name": name, "plumb": os.path.abspath(parts[0]), "env": {}, "stdin": False, "pack": None}
    for opt in parts[1:]:
        if opt == "stdin":
            v["stdin"] = True
        elif opt.startswith("pack:"):
            v["pack"] = os.path.abspath(opt[5:])
        elif opt.startswith("env:"):
            k, _, val = opt[4:].partition("=")
            v["env"][k] = val
        else:
            raise SystemExit("unknown variant option %r" % opt)
    if not os.access(v["plumb"], os.X_OK):
        raise SystemExit("no plumb binary at %s" % v["plumb"])
    return v


def run_once(v, corpus, threads):
    rules = ["--pack", v["pack"]] if v["pack"] else [rb.PACK, "--stdlib", rb.STDLIB[0]]
    cmd = [v["plumb"], "run", *rules, "--input",
           "-" if v["stdin"] else corpus, "--format", "ndjson", "--threads", str(threads),
           "--now", rb.NOW, "-o", "/dev/null"]
    env = dict(os.environ, **v["env"])
    stdin = open(corpus, "rb") if v["stdin"] else None
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=rb.REPO, stdin=stdin, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    finally:
        if stdin:
            stdin.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        raise SystemExit("plumb run failed (exit %d): %s\n%s" % (rc, " ".join(cmd), err.decode()))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="NDJSON file (bench/gen_cis.py)")
    ap.add_argument("--variant", action="append", required=True, help="NAME=PATH[,env:K=V][,stdin]")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    variants = [parse_variant(t) for t in args.variant]
    threads = [int(t) for t in args.threads.split(",")]
    corpus = os.path.abspath(args.corpus)
    ncis = rb.count_lines(corpus)
    size = os.path.getsize(corpus)
    with tempfile.TemporaryDirectory(prefix="plumb-compare-") as tmp:
        floor = rb.run_floor(rb.build_floor(tmp), corpus, args.repeat)
    runs = {(v["name"], t): [] for v in variants for t in threads}
    for i in range(args.repeat):
        rb.log("round %d/%d" % (i + 1, args.repeat))
        # Odd rounds run the thread counts in reverse: a drift within a round
        # then favours neither.
        for t in (threads if i % 2 == 0 else threads[::-1]):
            for v in variants:
                runs[(v["name"], t)].append(run_once(v, corpus, t))
    fl = floor["cis_per_s"]
    print("Corpus: %s CIs, %.1f MB; floor %s CIs/s (%.0f MB/s); best wall of %d, "
          "interleaved.\n" % (rb.fmt_rate(ncis), size / 1e6, rb.fmt_rate(fl), floor["mb_per_s"],
                              args.repeat))
    print("| variant | threads | best wall s | median CPU s | CIs/s | vs floor | vs 1 thread "
          "| peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for v in variants:
        for t in threads:
            r = runs[(v["name"], t)]
            wall = min(x[0] for x in r)
            one = min(x[0] for x in runs[(v["name"], threads[0])])
            print("| %s | %d | %.3f | %.3f | %s | %.2f | %.2fx | %.0f MB |" % (
                v["name"], t, wall, statistics.median(x[1] for x in r), rb.fmt_rate(ncis / wall),
                ncis / wall / fl, one / wall, max(x[2] for x in r) / 1024))
    if len(threads) > 1:
        # Scaling round by round (runs of one round ran moments apart): the
        # median and its distribution-free 95% interval (run_bench.median_ci).
        print("\nPer-round scaling vs %d thread(s), median [95%% interval] of %d rounds: %s" % (
            threads[0], args.repeat, "; ".join(
                "%s -j%d %.2fx [%.2f-%.2f]" % ((v["name"], t) + rb.median_ci(
                    [a[0] / b[0] for a, b in zip(runs[(v["name"], threads[0])], runs[(v["name"], t)])]))
                for v in variants for t in threads[1:])))
    print("\nAll walls (s): " + "; ".join(
        "%s -j%d: %s" % (n, t, " ".join("%.2f" % x[0] for x in r)) for (n, t), r in runs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
