#!/usr/bin/env python3
"""End-to-end tests of `plumb run` with the stdlib AWS pack (stdlib/aws) on the
sample CIs (examples/cis) and dedicated fixtures written to a temp dir.

usage: python3 tests/e2e/run_e2e.py --plumb PATH   (run from the repo root)
Ends with `N passed, M failed`; exit status 1 when anything failed."""
import argparse, json, os, subprocess, sys, tempfile, time, xml.dom.minidom

NOW = "2024-01-01T00:00:00Z"
PASSED, FAILED = [], []

# Reviewed verdicts on examples/cis: every other evaluation must be COMPLIANT.
NON_COMPLIANT = {
    ('cloud_trail_encryption_enabled', 'arn:aws:cloudtrail:eu-west-1:444455556666:trail/dev-debug-trail'),
    ('cloud_trail_log_file_validation_enabled', 'arn:aws:cloudtrail:eu-west-1:444455556666:trail/dev-debug-trail'),
    ('cmk_backing_key_rotation_enabled', '5e6f7081-92a3-b4c5-d6e7-f8091a2b3c4d'),
    ('db_instance_backup_enabled', 'db-877E0EF528006BD82A6C76E21E'),
    ('dynamodb_pitr_enabled', 'feature-flags'),
    ('ec2_imdsv2_check', 'i-0aaa1111bbbb22223'),
    ('ec2_instance_no_public_ip', 'i-0aaa1111bbbb22223'),
    ('efs_encrypted_check', 'fs-0918273645abcdef0'),
    ('encrypted_volumes', 'vol-0fedcba987654321a'),
    ('iam_policy_no_statements_with_admin_access', 'ANPAZ7Q3BOUNDARY0004'),
    ('iam_policy_no_statements_with_admin_access', 'ANPAZ7Q3BREAKGLASS001'),
    ('iam_policy_no_statements_with_full_access', 'ANPAZ7Q3DATAPIPE0002'),
    ('iam_user_no_policies_check', 'AIDAZ7Q3DEPLOYER0002'),
    ('incoming_ssh_disabled', 'sg-0b88bb88bb88bb880'),
    ('incoming_ssh_disabled', 'sg-0d44dd44dd44dd440'),
    ('lambda_function_public_access_prohibited', 'webhook'),
    ('lambda_inside_vpc', 'webhook'),
    ('rds_instance_public_access_check', 'db-877E0EF528006BD82A6C76E21E'),
    ('rds_snapshot_encrypted', 'orders-db-2023-10-30'),
    ('rds_snapshots_public_prohibited', 'orders-db-2023-10-30'),
    ('rds_storage_encrypted', 'db-877E0EF528006BD82A6C76E21E'),
    ('redshift_cluster_public_access_check', 'analytics-prod'),
    ('required_tags', 'acme-dev-scratch'),
    ('required_tags', 'acme-dev-shared'),
    ('required_tags', 'acme-prod-access-logs'),
    ('required_tags', 'acme-prod-website'),
    ('required_tags', 'feature-flags'),
    ('required_tags', 'i-0aaa1111bbbb22223'),
    ('required_tags', 'sg-0a77aa77aa77aa770'),
    ('required_tags', 'sg-0b88bb88bb88bb880'),
    ('required_tags', 'sg-0d44dd44dd44dd440'),
    ('required_tags', 'sg-0e55ee55ee55ee550'),
    ('required_tags', 'sg-0f66ff66ff66ff660'),
    ('required_tags', 'thumbnailer'),
    ('required_tags', 'vol-0fedcba987654321a'),
    ('required_tags', 'webhook'),
    ('restricted_incoming_traffic', 'sg-0b88bb88bb88bb880'),
    ('restricted_incoming_traffic', 'sg-0f66ff66ff66ff660'),
    ('rds_logging_enabled', 'db-877E0EF528006BD82A6C76E21E'),
    ('rds_logging_enabled', 'db-991A8C9F4DE7F2D716D70D5FD0'),
    ('redshift_backup_enabled', 'analytics-dev'),
    ('redshift_backup_enabled', 'analytics-prod'),
    ('redshift_cluster_configuration_check', 'analytics-dev'),
    ('redshift_cluster_configuration_check', 'analytics-prod'),
    ('s3_bucket_logging_enabled', 'acme-dev-scratch'),
    ('s3_bucket_logging_enabled', 'acme-dev-shared'),
    ('s3_bucket_logging_enabled', 'acme-prod-access-logs'),
    ('s3_bucket_public_read_prohibited', 'acme-dev-scratch'),
    ('s3_bucket_public_read_prohibited', 'acme-prod-website'),
    ('s3_bucket_public_write_prohibited', 'acme-dev-scratch'),
    ('s3_bucket_public_write_prohibited', 'acme-dev-shared'),
    ('s3_bucket_replication_enabled', 'acme-dev-assets'),
    ('s3_bucket_replication_enabled', 'acme-dev-scratch'),
    ('s3_bucket_replication_enabled', 'acme-dev-shared'),
    ('s3_bucket_replication_enabled', 'acme-prod-access-logs'),
    ('s3_bucket_replication_enabled', 'acme-prod-website'),
    ('s3_bucket_server_side_encryption_enabled', 'acme-dev-scratch'),
    ('s3_bucket_ssl_requests_only', 'acme-dev-scratch'),
    ('s3_bucket_ssl_requests_only', 'acme-dev-shared'),
    ('s3_bucket_ssl_requests_only', 'acme-prod-access-logs'),
    ('s3_bucket_ssl_requests_only', 'acme-prod-website'),
    ('s3_bucket_versioning_enabled', 'acme-dev-scratch'),
    ('s3_bucket_versioning_enabled', 'acme-dev-shared'),
    ('s3_bucket_versioning_enabled', 'acme-prod-website'),
    ('s3_default_encryption_kms', 'acme-dev-scratch'),
    ('s3_default_encryption_kms', 'acme-dev-shared'),
    ('s3_default_encryption_kms', 'acme-prod-access-logs'),
    ('s3_default_encryption_kms', 'acme-prod-website'),
    ('vpc_default_security_group_closed', 'sg-0a77aa77aa77aa770'),
    ('vpc_sg_open_only_to_authorized_ports', 'sg-0a11aa11aa11aa110'),
    ('vpc_sg_open_only_to_authorized_ports', 'sg-0b88bb88bb88bb880'),
    ('vpc_sg_open_only_to_authorized_ports', 'sg-0d44dd44dd44dd440'),
    ('vpc_sg_open_only_to_authorized_ports', 'sg-0f66ff66ff66ff660'),
}
NOT_APPLICABLE = {
    ('cmk_backing_key_rotation_enabled', '6f708192-a3b4-c5d6-e7f8-091a2b3c4d5e'),
    ('required_tags', 'acme-dev-old-exports'),
    ('s3_bucket_logging_enabled', 'acme-dev-old-exports'),
    ('s3_bucket_public_read_prohibited', 'acme-dev-old-exports'),
    ('s3_bucket_public_write_prohibited', 'acme-dev-old-exports'),
    ('s3_bucket_replication_enabled', 'acme-dev-old-exports'),
    ('s3_bucket_server_side_encryption_enabled', 'acme-dev-old-exports'),
    ('s3_bucket_ssl_requests_only', 'acme-dev-old-exports'),
    ('s3_bucket_versioning_enabled', 'acme-dev-old-exports'),
    ('s3_default_encryption_kms', 'acme-dev-old-exports'),
    ('vpc_default_security_group_closed', 'sg-0a11aa11aa11aa110'),
    ('vpc_default_security_group_closed', 'sg-0b88bb88bb88bb880'),
    ('vpc_default_security_group_closed', 'sg-0d44dd44dd44dd440'),
    ('vpc_default_security_group_closed', 'sg-0f66ff66ff66ff660'),
}
TOTAL_EVALUATIONS = 156


def check(name, cond, detail=""):
    (PASSED if cond else FAILED).append(name)
    if not cond:
        print(f"FAIL {name}: {detail}")


def run(plumb, *args, stdin=None, env=None):
    p = subprocess.run([plumb, "run", *args], capture_output=True, text=True, input=stdin, timeout=120,
                       env=None if env is None else {**os.environ, **env})
    return p.returncode, p.stdout, p.stderr


def verdicts(out):
    res = {}
    for line in out.splitlines():
        d = json.loads(line)
        if "rule" in d:  # input errors are records {"error", "source", "locator"}
            res[(d["rule"], d["resourceId"])] = d
    return res


def one_ci(path, rtype, rid, conf, supp=None, status="OK", v13=True):
    d = {"configurationItemCaptureTime": "2023-11-02T10:15:42.118Z", "configurationItemStatus": status,
         "resourceType": rtype, "resourceId": rid, "awsRegion": "us-east-1", "tags": {},
         "relationships": [], "configuration": conf, "supplementaryConfiguration": supp or {}}
    if v13:
        d.update(configurationItemVersion="1.3", awsAccountId="111122223333", configurationStateId=1)
    else:
        d.update(version="1.2", accountId="111122223333", configurationStateId="1")
    with open(path, "w") as f:
        json.dump(d, f)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    a = ap.parse_args()
    plumb = os.path.abspath(a.plumb)
    base = ["stdlib/aws", "--now", NOW]

    # 1. Exact verdicts on the sample CIs.
    rc, out, err = run(plumb, *base, "--input", "examples/cis", "--format", "ndjson")
    check("examples: exit 1 (something non-compliant)", rc == 1, f"rc={rc} {err}")
    v = verdicts(out)
    check("examples: evaluation count", len(v) == TOTAL_EVALUATIONS, f"{len(v)} != {TOTAL_EVALUATIONS}")
    for k, d in sorted(v.items()):
        want = "NON_COMPLIANT" if k in NON_COMPLIANT else "NOT_APPLICABLE" if k in NOT_APPLICABLE else "COMPLIANT"
        check(f"verdict {k[0]} {k[1]}", d["complianceType"] == want, f"{d['complianceType']} != {want}: {d['annotation']}")
    for k in NON_COMPLIANT | NOT_APPLICABLE:
        check(f"evaluated {k[0]} {k[1]}", k in v, "missing evaluation")
    d = v.get(("s3_bucket_public_read_prohibited", "acme-prod-website"), {})
    check("annotation names the public grant", "AllUsers:Read" in d.get("annotation", ""), d)
    d = v.get(("restricted_incoming_traffic", "sg-0b88bb88bb88bb880"), {})
    check("annotation lists blocked ports", d.get("annotation", "").endswith("20, 21, 3389, 3306, 4333"), d)
    check("1.2 dialect account id read", v.get(("encrypted_volumes", "vol-0fedcba987654321a"), {}).get("accountId") == "111122223333")
    check("orderingTimestamp is the capture time",
          v.get(("encrypted_volumes", "vol-0fedcba987654321a"), {}).get("orderingTimestamp") == "2023-11-02T10:15:42.118Z")

    # 1b. --explain: every NON_COMPLIANT evaluation names the deciding check and its values;
    # without it, no explanation is written.
    rc, out, err = run(plumb, *base, "--input", "examples/cis", "--format", "ndjson", "--explain")
    ex = verdicts(out)
    nc = [d for d in ex.values() if d["complianceType"] == "NON_COMPLIANT"]
    check("explain: every non-compliant evaluation explained",
          nc and all(d.get("explanation", "").startswith("check ") for d in nc), nc[:2])
    d = ex.get(("encrypted_volumes", "vol-0fedcba987654321a"), {})
    check("explain: location and values", "stdlib/aws/ec2.plumb:" in d.get("explanation", "") and " is false" in d.get("explanation", ""), d)
    check("explain: compliant evaluations carry none",
          all("explanation" not in d for d in ex.values() if d["complianceType"] != "NON_COMPLIANT"))
    check("no --explain, no explanation", all("explanation" not in d for d in v.values()))
    # A check without a message: its annotation is the generated detail text, and
    # --explain shows the same text after the check's location (decision 38: one
    # lowering serves both).
    with tempfile.TemporaryDirectory() as tmp:
        rule = os.path.join(tmp, "bare.plumb")
        with open(rule, "w") as f:
            f.write("rule bare_encrypted for AWS::EC2::Volume {\n"
                    "  check configuration.encrypted == true and (configuration.size ?? 0) > 0\n}\n")
        rc, out, err = run(plumb, rule, "--stdlib", "stdlib", "--now", NOW, "--input", "examples/cis",
                           "--format", "ndjson", "--explain")
        bare = verdicts(out).get(("bare_encrypted", "vol-0fedcba987654321a"), {})
        want = "configuration.encrypted == true and (configuration.size ?? 0) > 0: configuration.encrypted is false"
        check("bare check: generated annotation", bare.get("annotation") == want, (bare, err))
        check("bare check: --explain repeats it after the location",
              bare.get("explanation") == f"check 1 at {rule}:2: {want}", bare)

    # Record layouts (decision 39): a record has slots only for the fields a decoder
    # fills. A field no rule reads but that holds a lone scalar (@fromScalar) keeps
    # its slot, so `"grantee": "*"` is still a grantee; other unread fields are gone
    # from the layout, and a rule reading a later field still finds it.
    with tempfile.TemporaryDirectory() as tmp:
        sdir = os.path.join(tmp, "schemas")
        os.makedirs(sdir)
        with open(os.path.join(sdir, "thing.plumb"), "w") as f:
            f.write('package test.layout\n@fromScalar("who")\n'
                    'type Grantee {\n  kind: string\n  who: string\n  note: string\n}\n'
                    'resource Test::Layout::Thing {\n  configuration: {\n    a: string\n    b: string\n'
                    '    grantee: Grantee\n    name: string\n  }\n}\n')
        rule = os.path.join(tmp, "layout.plumb")
        with open(rule, "w") as f:
            f.write('rule no_grantee for Test::Layout::Thing {\n'
                    '  check not exists(configuration.grantee) else "{configuration.name ?? "?"} has a grantee"\n}\n')
        cis = os.path.join(tmp, "cis")
        os.makedirs(cis)
        for rid, g in (("t-star", "*"), ("t-none", None), ("t-obj", {"kind": "user", "note": "n"}),
                       ("t-null", {"who": None})):
            conf = {"a": "x", "b": "y", "name": rid}
            if g is not None:
                conf["grantee"] = g
            one_ci(os.path.join(cis, rid + ".json"), "Test::Layout::Thing", rid, conf)
        rc, out, err = run(plumb, rule, "--schemas", sdir, "--now", NOW, "--input", cis, "--format", "ndjson")
        got = {k[1]: (d["complianceType"], d.get("annotation")) for k, d in verdicts(out).items()}
        check("record layouts: a @fromScalar field no rule reads still makes its record present",
              got == {"t-star": ("NON_COMPLIANT", "t-star has a grantee"), "t-none": ("COMPLIANT", ""),
                      "t-obj": ("NON_COMPLIANT", "t-obj has a grantee"),
                      "t-null": ("NON_COMPLIANT", "t-null has a grantee")}, (got, err))

    # 2. Threads: byte-identical ndjson.
    r1 = run(plumb, *base, "--input", "examples/cis", "--format", "ndjson", "--threads", "1")
    r2 = run(plumb, *base, "--input", "examples/cis", "--format", "ndjson", "--threads", "2")
    check("threads 1 vs 2: byte-identical ndjson", r1[1] == r2[1] and r1[1] != "", "outputs differ")

    # 2b. A long NDJSON file (many line runs, decision 35) with blank, broken and
    # non-object lines: SARIF (which carries line numbers) and ndjson identical for
    # 1, 2 and 3 threads; errors name the right lines.
    with tempfile.TemporaryDirectory() as tmp:
        docs = []
        for root, _, files in sorted(os.walk("examples/cis")):
            for f in sorted(files):
                if f.endswith(".json"):
                    with open(os.path.join(root, f)) as fh:
                        docs.append(json.dumps(json.load(fh)))
        lines, bad = [], []
        for i in range(6000):
            if i % 997 == 13:
                lines.append('{"resourceType": "AWS::EC2::Volume", "broken')
                bad.append(len(lines))
            elif i % 331 == 7:
                lines.append("")
            elif i % 701 == 9:
                lines.append("[" + docs[i % len(docs)] + ", 42]")
            else:
                lines.append(docs[i % len(docs)])
        big = os.path.join(tmp, "many.ndjson")
        with open(big, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        outs = {}
        for t in ("1", "2", "3"):
            for fmt in ("sarif", "ndjson"):
                rc, out, err = run(plumb, *base, "--input", big, "--format", fmt, "--threads", t)
                outs[(t, fmt)] = (rc, out)
        check("long NDJSON: threads 1, 2, 3 give identical SARIF and ndjson",
              all(outs[(t, f)] == outs[("1", f)] for t in ("2", "3") for f in ("sarif", "ndjson"))
              and outs[("1", "sarif")][0] == 3, [k for k in outs if outs[k] != outs[("1", k[1])]])
        errs = [json.loads(l) for l in outs[("1", "ndjson")][1].splitlines() if '"error"' in l]
        check("long NDJSON: the broken lines' errors name them",
              sorted(e.get("locator", "") for e in errs)
              == sorted(["line %d" % n for n in bad] +
                        ["line %d item 2" % (n + 1) for n, l in enumerate(lines) if l.startswith("[")]),
              errs[:3])

    # 3. Each output format parses.
    for fmt in ["json", "evaluations", "junit", "sarif", "table", "ndjson"]:
        rc, out, err = run(plumb, *base, "--input", "examples/cis", "--format", fmt)
        ok = rc == 1 and out != ""
        try:
            if fmt in ("json", "evaluations", "sarif"):
                j = json.loads(out)
                if fmt == "sarif":
                    ok = ok and j.get("version") == "2.1.0" and len(j["runs"][0]["results"]) > 0
                if fmt == "evaluations":
                    txt = json.dumps(j)
                    ok = ok and "ComplianceResourceId" in txt and "NON_COMPLIANT" in txt
            elif fmt == "junit":
                doc = xml.dom.minidom.parseString(out)
                ok = ok and len(doc.getElementsByTagName("failure")) == len(NON_COMPLIANT)
            elif fmt == "ndjson":
                ok = ok and len(verdicts(out)) == TOTAL_EVALUATIONS
            else:
                ok = ok and f"{TOTAL_EVALUATIONS} evaluations" in out
        except Exception as e:  # a parse error is a failure, not a crash of the runner
            ok, err = False, f"{err} {e}"
        check(f"format {fmt} parses", ok, f"rc={rc} {err[:300]}")

    with tempfile.TemporaryDirectory() as tmp:
        # 4. Exit codes: 0 all compliant, 1 non-compliant, 2 usage/compile, 3 unreadable input.
        good = os.path.join(tmp, "good.json")
        one_ci(good, "AWS::EC2::Volume", "vol-good", {"volumeId": "vol-good", "encrypted": True})
        rc, out, err = run(plumb, "stdlib/aws/ec2.plumb", "--now", NOW, "--input", good, "--format", "ndjson")
        check("exit 0 when all compliant", rc == 0, f"rc={rc} {err}")
        rc, *_ = run(plumb, "stdlib/aws", "--format", "nope", "--input", good)
        check("exit 2 on unknown format", rc == 2, f"rc={rc}")
        rc, out, err = run(plumb, "stdlib/aws", good)
        check("a CI file given as a rule path: exit 2, suggests --input",
              rc == 2 and f"--input {good}" in err and out == "", f"rc={rc} {err}")
        badrule = os.path.join(tmp, "bad.plumb")
        open(badrule, "w").write("package t\nrule r for AWS::EC2::Volume { check configuration.encrypt == true }\n")
        rc, out, err = run(plumb, badrule, "--input", good)
        check("exit 2 on a compile error", rc == 2 and "encrypt" in err, f"rc={rc} {err}")
        rc, out, err = run(plumb, *base, "--input", os.path.join(tmp, "missing.json"), "--format", "ndjson")
        check("exit 3 on unreadable input", rc == 3, f"rc={rc} {err}")

        # 5. Parameters: --param and --params (AWS ruleParameters strings).
        sgf = os.path.join(tmp, "sg.json")
        one_ci(sgf, "AWS::EC2::SecurityGroup", "sg-1", {"groupId": "sg-1", "groupName": "app", "ipPermissions": [
            {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]},
            {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]})
        r = lambda *extra: verdicts(run(plumb, "stdlib/aws/ec2.plumb", "--now", NOW, "--input", sgf,
                                        "--format", "ndjson", *extra)[1])
        get = lambda res, rule: res.get((rule, "sg-1"), {}).get("complianceType")
        check("default params: 8080 not blocked", get(r(), "restricted_incoming_traffic") == "COMPLIANT")
        check("--param blockedPort1=8080", get(r("--param", "restricted_incoming_traffic.blockedPort1=8080"),
                                               "restricted_incoming_traffic") == "NON_COMPLIANT")
        check("authorized ports unset: non-compliant", get(r(), "vpc_sg_open_only_to_authorized_ports") == "NON_COMPLIANT")
        params = os.path.join(tmp, "params.json")
        json.dump({"vpc_sg_open_only_to_authorized_ports": json.dumps({"authorizedTcpPorts": "443,8000-8100"}),
                   "restricted_incoming_traffic": {"blockedPort2": "443"}}, open(params, "w"))
        res = r("--params", params)
        check("--params ruleParameters string: ranges authorize", get(res, "vpc_sg_open_only_to_authorized_ports") == "COMPLIANT",
              res.get(("vpc_sg_open_only_to_authorized_ports", "sg-1")))
        check("--params object form", get(res, "restricted_incoming_traffic") == "NON_COMPLIANT")
        res = r("--param", "vpc_sg_open_only_to_authorized_ports.authorizedTcpPorts=443")
        check("--param list: 8080 still unauthorized", get(res, "vpc_sg_open_only_to_authorized_ports") == "NON_COMPLIANT")
        # A list given as JSON-array text (as a shell user writes it) is that list, not one item.
        res = r("--param", 'vpc_sg_open_only_to_authorized_ports.authorizedTcpPorts=["443", "8080"]')
        check("--param list as a JSON array", get(res, "vpc_sg_open_only_to_authorized_ports") == "COMPLIANT",
              res.get(("vpc_sg_open_only_to_authorized_ports", "sg-1")))
        json.dump({"vpc_sg_open_only_to_authorized_ports": {"authorizedTcpPorts": " [\"443\",\"8000-8100\"] "}},
                  open(params, "w"))
        check("--params list as JSON-array text", get(r("--params", params), "vpc_sg_open_only_to_authorized_ports")
              == "COMPLIANT")

        # 6. Unknown rule / parameter / bad value: exit 2 before any input is read.
        for arg, what in [("nosuch.x=1", "no rule"), ("restricted_incoming_traffic.nosuch=1", "no parameter"),
                          ("restricted_incoming_traffic.blockedPort1=ssh", "blockedPort1")]:
            rc, out, err = run(plumb, *base, "--param", arg, "--input", os.path.join(tmp, "never-read.json"))
            check(f"--param {arg}: exit 2 before reading input", rc == 2 and what in err and out == "", f"rc={rc} {err}")

        # 7. A bad CI in an NDJSON batch: the error names file and line, the rest is evaluated.
        batch = os.path.join(tmp, "batch.ndjson")
        lines = []
        for i, enc in enumerate([True, None, False]):
            p = os.path.join(tmp, f"v{i}.json")
            lines.append(json.dumps(one_ci(p, "AWS::EC2::Volume", f"vol-{i}", {"volumeId": f"vol-{i}", "encrypted": enc})))
        lines[1] = '{"resourceType": "AWS::EC2::Volume", "configuration": {"encrypted": tru'
        open(batch, "w").write("\n".join(lines) + "\n")
        rc, out, err = run(plumb, "stdlib/aws/ec2.plumb", "--now", NOW, "--input", batch, "--format", "ndjson")
        res = verdicts(out)
        check("bad NDJSON line: exit 3", rc == 3, f"rc={rc}")
        errs = [json.loads(l) for l in out.splitlines() if '"error"' in l and '"rule"' not in l]
        check("bad NDJSON line: error record names file and line",
              len(errs) == 1 and errs[0].get("source", "").endswith("batch.ndjson") and errs[0].get("locator") == "line 2",
              out + err)
        check("bad NDJSON line: other lines evaluated",
              get_ct(res, "encrypted_volumes", "vol-0") == "COMPLIANT" and get_ct(res, "encrypted_volumes", "vol-2") == "NON_COMPLIANT",
              out)

        # 8. Focused fixtures for the policy logic.
        b = os.path.join(tmp, "bucket.json")
        pol = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]},
               "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}}
        one_ci(b, "AWS::S3::Bucket", "b", {"name": "b"}, {"BucketPolicy": {"policyText": json.dumps(pol)}}, v13=False)
        res = verdicts(run(plumb, "stdlib/aws/s3.plumb", "--now", NOW, "--input", b, "--format", "ndjson")[1])
        check("conditioned Principal * statement is not public", get_ct(res, "s3_bucket_public_read_prohibited", "b") == "COMPLIANT", res)
        del pol["Statement"]["Condition"]
        one_ci(b, "AWS::S3::Bucket", "b", {"name": "b"}, {"BucketPolicy": {"policyText": json.dumps(pol)}})
        res = verdicts(run(plumb, "stdlib/aws/s3.plumb", "--now", NOW, "--input", b, "--format", "ndjson")[1])
        check("lone Statement object, Principal {AWS:[*]}: public read", get_ct(res, "s3_bucket_public_read_prohibited", "b") == "NON_COMPLIANT", res)
        check("GetObject only: not public write", get_ct(res, "s3_bucket_public_write_prohibited", "b") == "COMPLIANT", res)
        pf = os.path.join(tmp, "policy.json")
        one_ci(pf, "AWS::IAM::Policy", "p", {"permissionsBoundaryUsageCount": 2, "policyVersionList": [
            {"isDefaultVersion": True, "versionId": "v1",
             "document": "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22NotAction%22%3A%22iam%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"}]})
        res = verdicts(run(plumb, "stdlib/aws/iam.plumb", "--now", NOW, "--input", pf, "--format", "ndjson")[1])
        check("NotAction over * counts as admin", get_ct(res, "iam_policy_no_statements_with_admin_access", "p") == "NON_COMPLIANT", res)
        res = verdicts(run(plumb, "stdlib/aws/iam.plumb", "--now", NOW, "--input", pf, "--format", "ndjson", "--param",
                           "iam_policy_no_statements_with_admin_access.excludePermissionBoundaryPolicy=true")[1])
        check("excludePermissionBoundaryPolicy: boundary policy not applicable",
              get_ct(res, "iam_policy_no_statements_with_admin_access", "p") == "NOT_APPLICABLE", res)

        # 9. The JIT cache: a second run reuses the first one's machine code (one entry, same
        # bytes out); a damaged or foreign entry is compiled again; no cache directory is no error.
        cache = os.path.join(tmp, "jit-cache")
        on, off = {"PLUMB_CACHE_DIR": cache}, {"PLUMB_CACHE_DIR": "off"}
        args = (*base, "--input", "examples/cis", "--format", "ndjson")
        want = run(plumb, *args, env=off)
        entries = lambda: sorted(f for f in os.listdir(cache) if f.endswith(".o")) if os.path.isdir(cache) else []
        first = run(plumb, *args, env=on)
        check("cache: first run stores one entry", len(entries()) == 1, entries())
        second = run(plumb, *args, env=on)
        check("cache: cold, stored and reused runs give the same bytes", want == first == second and want[0] == 1,
              (want[0], first[0], second[0]))
        check("cache: the second run added nothing", len(entries()) == 1, entries())
        run(plumb, "stdlib/aws/ec2.plumb", "--now", NOW, "--input", "examples/cis", "--format", "ndjson", env=on)
        check("cache: another program, another entry", len(entries()) == 2, entries())
        sizes = {e: os.path.getsize(os.path.join(cache, e)) for e in entries()}
        big, small = sorted(sizes, key=sizes.get, reverse=True)
        orig = open(os.path.join(cache, big), "rb").read()
        # The small entry (ec2.plumb's code) in place of the stdlib's: its symbols do not cover the program.
        open(os.path.join(cache, big), "wb").write(open(os.path.join(cache, small), "rb").read())
        check("cache: a foreign entry is refused and recompiled", run(plumb, *args, env=on) == want)
        check("cache: the foreign entry was replaced", open(os.path.join(cache, big), "rb").read() == orig)
        open(os.path.join(cache, big), "wb").write(orig[: len(orig) // 2])
        check("cache: a truncated entry is refused and recompiled", run(plumb, *args, env=on) == want)
        # A torn write or flipped bits inside the code: the checksum refuses the entry.
        for at in (len(orig) // 3, len(orig) // 2, len(orig) - 30):
            damaged = bytearray(orig)
            damaged[at] ^= 0x01
            open(os.path.join(cache, big), "wb").write(bytes(damaged))
            check(f"cache: one bit flipped at {at} is refused and recompiled", run(plumb, *args, env=on) == want)
            check(f"cache: entry rewritten after the flip at {at}", open(os.path.join(cache, big), "rb").read() == orig)
        blocked = os.path.join(tmp, "not-a-dir")
        open(blocked, "w").write("x")
        check("cache: an unusable cache directory is no error",
              run(plumb, *args, env={"PLUMB_CACHE_DIR": os.path.join(blocked, "jit")}) == want)

        # 9b. The optimised tier (decision 41): the background copy's work, run in the foreground
        # here (PLUMB_JIT_OPTIMIZE_ONLY), stores the optimised form of the entry; later runs load it
        # (the JIT then stores no entry of its own) and print the same bytes; a damaged optimised
        # entry is refused; a run of at least PLUMB_JIT_OPTIMIZE_AFTER items starts the copy.
        ocache = os.path.join(tmp, "opt-cache")
        oon = {"PLUMB_CACHE_DIR": ocache, "PLUMB_JIT_OPTIMIZE_AFTER": "0"}
        os.makedirs(ocache, mode=0o700)
        files = lambda: sorted(f for f in os.listdir(ocache) if f.endswith(".o"))
        marker = os.path.join(ocache, ".manual-o2.pending")
        open(marker, "w").close()
        rc = run(plumb, *args, env={**oon, "PLUMB_JIT_OPTIMIZE_ONLY": marker})
        check("optimised tier: the copy's work succeeds, reads no input, writes nothing", rc == (0, "", ""), rc)
        check("optimised tier: one optimised entry stored", len(files()) == 1 and files()[0].endswith("-o2.o"),
              files())
        check("optimised tier: the copy removes its marker", not os.path.exists(marker))
        check("optimised tier: a run with it gives the same bytes", run(plumb, *args, env=oon) == want)
        check("optimised tier: that run compiled nothing of its own", len(files()) == 1, files())
        check("optimised tier: so does a run from the program cache", run(plumb, *args, env=oon) == want)
        opt = os.path.join(ocache, files()[0])
        good = open(opt, "rb").read()
        damaged = bytearray(good)
        damaged[len(good) // 2] ^= 0x01
        open(opt, "wb").write(bytes(damaged))
        check("optimised tier: a damaged optimised entry is refused, the JIT compiles",
              run(plumb, *args, env=oon) == want and not os.path.exists(opt) and len(files()) == 1, files())
        spawn = os.path.join(tmp, "spawn-cache")
        run(plumb, *args, env={"PLUMB_CACHE_DIR": spawn, "PLUMB_JIT_OPTIMIZE_AFTER": "1"})
        started = sorted(f for f in os.listdir(spawn) if f.endswith("-o2.pending") or f.endswith("-o2.o"))
        check("optimised tier: a run past the threshold starts the copy (its marker, or its entry)",
              len(started) == 1, sorted(os.listdir(spawn)))
        # Let the copy finish (it runs at nice 19) before the temporary directory goes; not a check.
        for _ in range(240):
            if not [f for f in os.listdir(spawn) if f.endswith(".pending")]:
                break
            time.sleep(0.5)
        run(plumb, *args, env={"PLUMB_CACHE_DIR": os.path.join(tmp, "nospawn-cache"), "PLUMB_JIT_OPTIMIZE_AFTER": "0"})
        check("optimised tier: PLUMB_JIT_OPTIMIZE_AFTER=0 starts none",
              not [f for f in os.listdir(os.path.join(tmp, "nospawn-cache")) if "-o2" in f])

        # 10. The program cache (decision 29): a second run of unchanged sources skips the front end;
        # any change to a rule or schema file is seen; warnings and missing parameters are reported
        # on every run; damaged entries are a miss.
        pcache = os.path.join(tmp, "prog-cache")
        pon = {"PLUMB_CACHE_DIR": pcache}
        progs = lambda: sorted(f for f in os.listdir(pcache) if f.endswith(".prog")) if os.path.isdir(pcache) else []
        rdir = os.path.join(tmp, "prog-rules")
        os.makedirs(rdir)
        rfile = os.path.join(rdir, "vol.plumb")
        sdir = os.path.join(tmp, "prog-schemas")
        os.makedirs(sdir)
        vol = os.path.join(tmp, "prog-vol.json")
        one_ci(vol, "AWS::EC2::Volume", "vol-1", {"encrypted": False, "size": 8})
        def rule(msg, field="encrypted"):
            open(rfile, "w").write(f'rule vol_enc for AWS::EC2::Volume {{\n  check configuration.{field} == true else "{msg}"\n}}\n')
        def annotation(res):
            out = verdicts(res[1])
            return out.get(("vol_enc", "vol-1"), {}).get("annotation")
        rule("first message")
        rargs = (rfile, "--now", NOW, "--input", vol, "--format", "ndjson")
        want = run(plumb, *rargs, env=off)
        first = run(plumb, *rargs, env=pon)
        check("program cache: first run stores one program", len(progs()) == 1, progs())
        second = run(plumb, *rargs, env=pon)
        check("program cache: cold, stored and reused runs give the same bytes",
              want == first == second and annotation(second) == "first message", (want, second))
        check("program cache: the second run added nothing", len(progs()) == 1, progs())
        rule("second message")
        check("program cache: an edited rule is compiled again, not served stale",
              annotation(run(plumb, *rargs, env=pon)) == "second message")
        rule("second message", field="encrypted_typo")
        typo = run(plumb, *rargs, env=pon)
        check("program cache: an edit that breaks the rule is a compile error", typo[0] == 2 and "encrypted" in typo[2], typo)
        rule("second message")
        check("program cache: back to the earlier text, its entry serves it",
              annotation(run(plumb, *rargs, env=pon)) == "second message")
        # A schema file the rules are checked against is part of the program.
        open(os.path.join(sdir, "extra.plumb"), "w").write(
            "type Unused {\n  a: string\n}\n")
        sargs = (rfile, "--schemas", sdir, "--now", NOW, "--input", vol, "--format", "ndjson")
        check("program cache: with --schemas", annotation(run(plumb, *sargs, env=pon)) == "second message")
        open(os.path.join(sdir, "extra.plumb"), "w").write("type Unused {\n  a: strin\n}\n")
        bad = run(plumb, *sargs, env=pon)
        check("program cache: an edited schema file is checked again", bad[0] == 2 and "strin" in bad[2], bad)
        # Parameters: overrides take the full path; a rule without a default is reported every time.
        pfile = os.path.join(rdir, "tags.plumb")
        open(pfile, "w").write('rule tagged for AWS::EC2::Volume\n  param key: string\n{\n  check key in tags else "no {key}"\n}\n')
        pargs = (pfile, "--now", NOW, "--input", vol, "--format", "ndjson")
        for i in range(2):
            r = run(plumb, *pargs, env=pon)
            check(f"program cache: a missing parameter is an error on run {i + 1}", r[0] == 2 and "key" in r[2], r)
        r = run(plumb, *pargs, "--param", "tagged.key=Owner", env=pon)
        check("program cache: --param runs", verdicts(r[1]).get(("tagged", "vol-1"), {}).get("annotation") == "no Owner", r)
        # A warning is printed on every run.
        wfile = os.path.join(rdir, "warn.plumb")
        open(wfile, "w").write('rule w for AWS::EC2::Volume {\n  let unused = 1\n  check configuration.encrypted == true\n}\n')
        w1 = run(plumb, wfile, "--now", NOW, "--input", vol, "--format", "ndjson", env=pon)
        w2 = run(plumb, wfile, "--now", NOW, "--input", vol, "--format", "ndjson", env=pon)
        check("program cache: warnings on every run", w1 == w2 and "warning" in w2[2], (w1[2], w2[2]))
        # Damaged program entries, and a program whose object entry is gone or foreign: a miss.
        rule("second message")
        run(plumb, *rargs, env=pon)
        entry = [os.path.join(pcache, f) for f in progs()]
        good = want_run = run(plumb, *rargs, env=pon)
        for path in entry:
            data = open(path, "rb").read()
            for at in (0, len(data) // 2, len(data) - 1):
                damaged = bytearray(data)
                damaged[at] ^= 0x01
                open(path, "wb").write(bytes(damaged))
                check(f"program cache: a bit flipped at {at} is a miss", run(plumb, *rargs, env=pon) == good)
        for f in os.listdir(pcache):
            if f.endswith(".o"):
                os.remove(os.path.join(pcache, f))
        check("program cache: its object entry removed, compiled again", run(plumb, *rargs, env=pon) == good)
        check("program cache: and served again", run(plumb, *rargs, env=pon) == want_run)

    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


def get_ct(res, rule, rid):
    return res.get((rule, rid), {}).get("complianceType")


if __name__ == "__main__":
    sys.exit(main())
