#!/usr/bin/env python3
"""Where plumb's time goes, per resource type: floor and `plumb run` per CI.

Splits an NDJSON corpus (bench/gen_cis.py) by resourceType, then for each type
runs the floor (simdjson DOM parse of each line) and `plumb run PACK` on that
type's CIs alone, best of --repeat, interleaved, and prints microseconds per CI
for both, their ratio, and each type's share of plumb's time above the floor.
Process start and the compile (a one-CI run of the same command) are
subtracted from plumb's time, so small types are not swamped by them.

  python3 bench/per_type.py --corpus cis_200000.ndjson [--plumb build-bench/compiler/plumb]
                            [--pack bench/rules/pack.plumb] [--repeat 5] [--threads 1]

Only the JIT cache state of the machine changes between runs (the one-CI run
fills it first). Scratch files go to a temp dir, removed at the end.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

import run_bench as rb

TYPE_RE = re.compile(rb'"resourceType"\s*:\s*"([^"]+)"')


def split_by_type(corpus, outdir):
    """One file per resourceType (the first one in each line: the root's, as AWS
    writes resourceType before relationships); returns {type: (path, count)}."""
    files, counts = {}, {}
    with open(corpus, "rb") as f:
        for line in f:
            m = TYPE_RE.search(line)
            t = m.group(1).decode() if m else "(none)"
            if t not in files:
                name = re.sub(r"[^A-Za-z0-9]+", "_", t) + ".ndjson"
                files[t] = open(os.path.join(outdir, name), "wb")
                counts[t] = 0
            files[t].write(line)
            counts[t] += 1
    for fh in files.values():
        fh.close()
    return {t: (files[t].name, counts[t]) for t in files}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--plumb", default=os.path.join(rb.REPO, "build-bench", "compiler", "plumb"))
    ap.add_argument("--pack", default=rb.PACK)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    rb.PACK = os.path.abspath(args.pack)
    work = tempfile.mkdtemp(prefix="plumb-per-type-")
    try:
        floor = rb.build_floor(work)
        types = split_by_type(args.corpus, work)
        one = os.path.join(work, "one.ndjson")
        with open(args.corpus, "rb") as f, open(one, "wb") as o:
            o.write(f.readline())
        rb.plumb_run(args.plumb, one, args.threads)  # fills the JIT cache
        best = {t: [1e9, 1e9] for t in types}
        start = 1e9
        for r in range(args.repeat):
            rb.log("round %d/%d" % (r + 1, args.repeat))
            start = min(start, rb.plumb_run(args.plumb, one, args.threads)[0])
            for t, (path, _) in sorted(types.items()):
                best[t][0] = min(best[t][0], rb.run_floor(floor, path, 1)["seconds"])
                best[t][1] = min(best[t][1], rb.plumb_run(args.plumb, path, args.threads)[0])
        excess = {t: max(0.0, best[t][1] - start - best[t][0]) for t in types}
        total_excess = sum(excess.values()) or 1.0
        print("Corpus: %s; pack: %s; --threads %d; best of %d; start-up %.1f ms subtracted\n"
              % (args.corpus, os.path.relpath(rb.PACK, rb.REPO), args.threads, args.repeat, start * 1e3))
        print("| type | CIs | floor us/CI | plumb us/CI | vs floor | share of the time above the floor |")
        print("|---|---:|---:|---:|---:|---:|")
        for t, (path, n) in sorted(types.items(), key=lambda kv: -excess[kv[0]]):
            fl, pl = best[t][0], max(best[t][1] - start, 1e-9)
            print("| %s | %d | %.2f | %.2f | %.2f | %.0f%% |"
                  % (t, n, fl * 1e6 / n, pl * 1e6 / n, fl / pl, 100 * excess[t] / total_excess))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
