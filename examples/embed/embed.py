#!/usr/bin/env python3
"""Embedding a Plumb rule pack from Python with ctypes (no bindings needed).

    plumb build ../rules/network.plumb -o network.so
    python3 embed.py network.so sample_cis.ndjson [--runtime path/to/libplumb_runtime.so.0]

Loads libplumb_runtime, opens the pack through the C API of plumb/pack.h,
sets a parameter, evaluates the NDJSON file with a callback, then renders the
same CIs as `plumb run -f ndjson` would (plumb_pack_eval_buffer_format).
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys


class Evaluation(ctypes.Structure):  # PlumbEvaluation
    _fields_ = [("kind", ctypes.c_int),
                ("rule", ctypes.c_char_p),
                ("resource_type", ctypes.c_char_p),
                ("resource_id", ctypes.c_char_p),
                ("account_id", ctypes.c_char_p),
                ("region", ctypes.c_char_p),
                ("compliance", ctypes.c_char_p),
                ("annotation", ctypes.c_char_p),
                ("ordering_timestamp_us", ctypes.c_int64),
                ("source", ctypes.c_char_p),
                ("locator", ctypes.c_char_p)]


CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Evaluation), ctypes.c_void_p)


class PlumbError(Exception):
    pass


class Runtime:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.plumb_pack_open.restype = ctypes.c_void_p
        lib.plumb_pack_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.plumb_pack_close.argtypes = [ctypes.c_void_p]
        lib.plumb_free.argtypes = [ctypes.c_void_p]
        lib.plumb_pack_name.restype = ctypes.c_char_p
        lib.plumb_pack_name.argtypes = [ctypes.c_void_p]
        lib.plumb_pack_manifest.restype = ctypes.c_char_p
        lib.plumb_pack_manifest.argtypes = [ctypes.c_void_p]
        lib.plumb_pack_set_param.restype = ctypes.c_int
        lib.plumb_pack_set_param.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                             ctypes.POINTER(ctypes.c_void_p)]
        lib.plumb_pack_eval_buffer.restype = ctypes.c_long
        lib.plumb_pack_eval_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, CALLBACK,
                                               ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.plumb_pack_eval_buffer_format.restype = ctypes.c_int
        lib.plumb_pack_eval_buffer_format.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_void_p)]
        lib.plumb_pack_set_now.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        self.lib = lib

    def check(self, ok, err):
        if not ok:
            msg = ctypes.string_at(err.value).decode() if err.value else "failed"
            self.lib.plumb_free(err)
            raise PlumbError(msg)


class Pack:
    def __init__(self, rt, path):
        self.rt, err = rt, ctypes.c_void_p()
        self.handle = rt.lib.plumb_pack_open(path.encode(), ctypes.byref(err))
        rt.check(self.handle, err)

    def close(self):
        if self.handle:
            self.rt.lib.plumb_pack_close(self.handle)
            self.handle = None

    @property
    def name(self):
        return self.rt.lib.plumb_pack_name(self.handle).decode()

    @property
    def manifest(self):
        return json.loads(self.rt.lib.plumb_pack_manifest(self.handle))

    def set_param(self, rule, name, value):
        err = ctypes.c_void_p()
        ok = self.rt.lib.plumb_pack_set_param(self.handle, rule.encode(), name.encode(), value.encode(),
                                              ctypes.byref(err)) == 0
        self.rt.check(ok, err)

    def evaluate(self, ndjson: bytes):
        results = []

        def collect(r, _user):
            e = r.contents
            results.append({f: (getattr(e, f).decode() if isinstance(getattr(e, f), bytes) else getattr(e, f))
                            for f, _ in Evaluation._fields_})
            return 0

        err = ctypes.c_void_p()
        n = self.rt.lib.plumb_pack_eval_buffer(self.handle, ndjson, len(ndjson), CALLBACK(collect), None,
                                               ctypes.byref(err))
        self.rt.check(n >= 0, err)
        return results

    def render(self, ndjson: bytes, fmt="ndjson"):
        out, n, err = ctypes.c_void_p(), ctypes.c_size_t(), ctypes.c_void_p()
        ok = self.rt.lib.plumb_pack_eval_buffer_format(self.handle, ndjson, len(ndjson), fmt.encode(),
                                                       ctypes.byref(out), ctypes.byref(n), ctypes.byref(err)) == 0
        self.rt.check(ok, err)
        text = ctypes.string_at(out.value, n.value).decode()
        self.rt.lib.plumb_free(out)
        return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pack")
    ap.add_argument("cis")
    ap.add_argument("--runtime", default=os.environ.get("PLUMB_RUNTIME_LIB")
                    or ctypes.util.find_library("plumb_runtime") or "libplumb_runtime.so.0")
    ap.add_argument("--now", type=int, default=0, help="fix now() (microseconds since the epoch)")
    args = ap.parse_args()
    rt = Runtime(args.runtime)
    try:
        pack = Pack(rt, args.pack)
    except PlumbError as e:
        print(f"embed.py: {e}", file=sys.stderr)
        return 2
    rules = [r["name"] for r in pack.manifest["rules"]]
    print(f"pack {pack.name}: {len(rules)} rule(s): {', '.join(rules)}")
    if args.now:
        rt.lib.plumb_pack_set_now(pack.handle, args.now)
    if "required_tags" in rules:
        pack.set_param("required_tags", "requiredTags", "Environment, Owner")
    data = open(args.cis, "rb").read()
    bad = 0
    for r in pack.evaluate(data):
        if r["kind"] != 0:
            print(f"INPUT_ERROR {r['locator']}: {r['annotation']}")
            bad += 1
            continue
        bad += r["compliance"] not in ("COMPLIANT", "NOT_APPLICABLE")
        print(f"{r['compliance']} {r['rule']} {r['resource_id']}" + (f": {r['annotation']}" if r["annotation"] else ""))
    print("-- as ndjson --")
    sys.stdout.write(pack.render(data))
    pack.close()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
