#!/usr/bin/env python3
"""Tests of `plumb conformance` on conformance pack templates shaped like AWS's
(tests/conformance/packs) and the stdlib's fixture CIs (stdlib/aws/fixtures).

usage: python3 tests/conformance/run_conformance_tests.py --plumb PATH  (from the repo root)
Ends with `N passed, M failed`; exit status 1 when anything failed."""
import argparse, json, os, subprocess, sys, tempfile

PACKS = "tests/conformance/packs"
FIX = "stdlib/aws/fixtures"
PASSED, FAILED = [], []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def run(plumb, *args):
    p = subprocess.run([plumb, "conformance", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def verdicts(out):
    return {(e["rule"], e["resourceId"]): (e["complianceType"], e["annotation"])
            for e in (json.loads(l) for l in out.splitlines() if l.strip())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    plumb = ap.parse_args().plumb

    # 1. Coverage report, long-form intrinsics.
    rc, out, err = run(plumb, f"{PACKS}/long_form.yaml")
    check("long form: exit 0", rc == 0, f"rc={rc} {err}")
    lines = out.splitlines()
    check("long form: header counts every ConfigRule (not the S3 bucket)", lines[:1] == [f"{PACKS}/long_form.yaml: 6 config rules"], out)
    check("long form: coverage line", "coverage: 4 of 6 rules (66.7%)" in lines, out)
    check("long form: one identifier mapping to two rules",
          any(l.split()[:2] == ["covered", "elb-logging-enabled"] and l.endswith("elb_logging_enabled, elbv2_logging_enabled") for l in lines), out)
    check("long form: AWS rule without equivalent listed as not covered",
          any(l.split()[:3] == ["not", "covered", "s3-bucket-acl-prohibited"] and "no stdlib equivalent" in l for l in lines), out)
    check("long form: custom Lambda rule listed, not dropped",
          any("securityhub-enabled" in l and l.strip().startswith("not covered") and "custom Lambda" in l for l in lines), out)
    check("long form: no warnings", err == "", err)

    # 2. Short-form intrinsics, a parameter the stdlib rule lacks, a Guard rule.
    rc, out, err = run(plumb, f"{PACKS}/short_form.yaml")
    check("short form: exit 0 and coverage", rc == 0 and "coverage: 2 of 3 rules (66.7%)" in out, f"rc={rc} {out} {err}")
    check("short form: !Ref in ConfigRuleName resolved", any(l.split()[:2] == ["covered", "CostCenter"] for l in out.splitlines()), out)
    check("short form: custom policy rule not covered", "custom-guard" in out and "custom Guard policy rule" in out, out)
    check("short form: unsupported parameter warned about",
          "parameter additionalLogs is not supported by `db_instance_backup_enabled`; ignored" in err, err)

    # 3. Evaluation with the pack's parameters.
    with tempfile.TemporaryDirectory() as tmp:
        sg = json.load(open(f"{FIX}/sg_web.json"))
        sg["resourceId"] = sg["configuration"]["groupId"] = "sg-0c8443c8443c84430"
        sg["configuration"]["ipPermissions"][0]["fromPort"] = sg["configuration"]["ipPermissions"][0]["toPort"] = 8443
        json.dump(sg, open(os.path.join(tmp, "sg_8443.json"), "w"))
        cis = [f"{FIX}/ec2_instance.json", f"{FIX}/sg_web.json", os.path.join(tmp, "sg_8443.json"), f"{FIX}/s3_bucket.json",
               f"{FIX}/elb_classic_v12.json", f"{FIX}/elbv2_alb.json", f"{FIX}/rds_instance.json", f"{FIX}/kms_key.json"]
        rc, out, err = run(plumb, f"{PACKS}/long_form.yaml", "--input", *cis, "--format", "ndjson", "--now", "2024-01-01T00:00:00Z")
        v = verdicts(out)
        check("evaluate long form: exit 1 (something non-compliant)", rc == 1, f"rc={rc} {err}")
        check("evaluate long form: only the pack's rules run",
              {r for r, _ in v} == {"s3_bucket_logging_enabled", "required_tags", "restricted_incoming_traffic",
                                    "elb_logging_enabled", "elbv2_logging_enabled"}, sorted({r for r, _ in v}))
        check("evaluate long form: tag1Key from a Ref default (Owner)",
              v.get(("required_tags", "i-0ccc3333dddd44445"), ("", ""))[0] == "NON_COMPLIANT"
              and "Owner" in v[("required_tags", "i-0ccc3333dddd44445")][1], v.get(("required_tags", "i-0ccc3333dddd44445")))
        check("evaluate long form: blockedPort1 from a Ref (8443 flagged, 443 not)",
              v.get(("restricted_incoming_traffic", "sg-0c8443c8443c84430"), ("",))[0] == "NON_COMPLIANT"
              and "8443" in v[("restricted_incoming_traffic", "sg-0c8443c8443c84430")][1]
              and v.get(("restricted_incoming_traffic", "sg-0a11aa11aa11aa110"), ("",))[0] == "COMPLIANT", v)
        check("evaluate long form: AWS::NoValue leaves the default (any target bucket)",
              v.get(("s3_bucket_logging_enabled", "acme-prod-data"), ("",))[0] == "COMPLIANT", v)
        check("evaluate long form: s3BucketNames passed to both ELB rules",
              v.get(("elb_logging_enabled", "acme-web-clb"), ("",))[0] == "COMPLIANT"
              and [c for (r, _), (c, _) in v.items() if r == "elbv2_logging_enabled"] == ["COMPLIANT"], v)
        check("evaluate long form: coverage on stderr", "evaluating 4 of 6 rules (66.7% coverage)" in err, err)

        rc, out, err = run(plumb, f"{PACKS}/short_form.yaml", "--input", f"{FIX}/ec2_instance.json", f"{FIX}/rds_instance.json",
                           "--format", "ndjson")
        v = verdicts(out)
        check("evaluate short form: tag1Value list from !Ref",
              v.get(("required_tags", "i-0ccc3333dddd44445"), ("", ""))[1] == "tags with values not allowed: CostCenter=cc-100"
              and v.get(("required_tags", "db-991A8C9F4DE7F2D716D70D5FD0"), ("",))[0] == "COMPLIANT", v)
        check("evaluate short form: !If to AWS::NoValue keeps the default",
              v.get(("db_instance_backup_enabled", "db-991A8C9F4DE7F2D716D70D5FD0"), ("",))[0] == "COMPLIANT", v)

        nothing = os.path.join(tmp, "nothing.yaml")
        open(nothing, "w").write("Resources:\n  R:\n    Type: AWS::Config::ConfigRule\n    Properties:\n"
                                 "      Source:\n        Owner: CUSTOM_LAMBDA\n        SourceIdentifier: arn:aws:lambda:x\n")
        rc, out, err = run(plumb, nothing, "--input", f"{FIX}/ec2_instance.json")
        check("evaluate a pack with nothing covered: exit 2", rc == 2 and "nothing to evaluate" in err, f"rc={rc} {err}")

    # 4. Bad templates and usage: exit 2 with a message, never a crash.
    rc, out, err = run(plumb, f"{PACKS}/bad_ref.yaml")
    check("Ref to an unknown parameter: exit 2", rc == 2 and "Ref to unknown parameter `NoSuchParameter`" in err, f"rc={rc} {err}")
    rc, out, err = run(plumb, f"{PACKS}/not_yaml.yaml")
    check("not YAML: exit 2", rc == 2 and "not valid YAML" in err, f"rc={rc} {err}")
    rc, out, err = run(plumb, f"{PACKS}/missing.yaml")
    check("missing file: exit 2", rc == 2 and "cannot read" in err, f"rc={rc} {err}")
    rc, out, err = run(plumb, f"{FIX}/s3_bucket.json")
    check("JSON that is no template: exit 2", rc == 2 and "no Resources map" in err, f"rc={rc} {err}")
    rc, out, err = run(plumb)
    check("no template: exit 2", rc == 2 and "usage" in err, f"rc={rc} {err}")
    rc, out, err = run(plumb, f"{PACKS}/long_form.yaml", "--bogus")
    check("unknown option: exit 2", rc == 2 and "unknown option --bogus" in err, f"rc={rc} {err}")

    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
