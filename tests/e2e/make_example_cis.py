#!/usr/bin/env python3
"""Writes examples/cis/: sample configuration items shaped like AWS Config emits
them (both CI dialects, two accounts, two regions). Re-run after editing:
python3 tests/e2e/make_example_cis.py"""
import hashlib, json, os, urllib.parse

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "cis")
PROD, DEV = "111122223333", "444455556666"
CAPTURE = "2023-11-02T10:15:42.118Z"


def ci(v, acct, region, rtype, rid, arn, conf, supp=None, name=None, tags=None,
       status="OK", rels=None, created="2023-03-14T08:00:00.000Z"):
    """v is "1.2" or "1.3"."""
    d = {}
    if v == "1.2":
        d.update(version="1.2", accountId=acct, configurationItemCaptureTime=CAPTURE,
                 configurationItemStatus=status, configurationStateId="1698920142118",
                 configurationItemMD5Hash=hashlib.md5(rid.encode()).hexdigest(), arn=arn)
    else:
        d.update(configurationItemVersion="1.3", awsAccountId=acct, configurationItemCaptureTime=CAPTURE,
                 configurationItemStatus=status, configurationStateId=1698920142118,
                 configurationStateMd5Hash="", ARN=arn)
    d.update(resourceType=rtype, resourceId=rid, resourceName=name or rid, awsRegion=region,
             availabilityZone="Not Applicable", resourceCreationTime=created, tags=tags or {},
             relatedEvents=[], relationships=rels or [], configuration=conf,
             supplementaryConfiguration=supp or {})
    return d


def bucket(v, acct, region, name, acl_grants, policy=None, pab=None, logging=None, versioning="Off",
           sse=None, replication=None, tags=None, status="OK"):
    owner = {"displayName": None, "id": "7a1c3f0e9b2d" + acct}
    acl = {"grantSet": None, "grantList": [{"grantee": owner, "permission": "FullControl"}] + acl_grants,
           "owner": owner, "isRequesterCharged": False}
    supp = {
        "AccessControlList": json.dumps(acl, separators=(",", ":")),
        "BucketAccelerateConfiguration": {"status": None},
        "BucketLoggingConfiguration": {"destinationBucketName": (logging or [None, None])[0],
                                       "logFilePrefix": (logging or [None, None])[1]},
        "BucketNotificationConfiguration": {"configurations": {}},
        "BucketPolicy": {"policyText": json.dumps(policy, separators=(",", ":")) if policy else None},
        "BucketVersioningConfiguration": {"status": versioning, "isMfaDeleteEnabled": None},
        "IsRequesterPaysEnabled": False,
    }
    if pab:
        supp["PublicAccessBlockConfiguration"] = dict(zip(
            ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"], pab))
    if sse:
        supp["ServerSideEncryptionConfiguration"] = {"rules": [{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": sse[0], "kmsMasterKeyID": sse[1]}, "bucketKeyEnabled": sse[0] == "aws:kms"}]}
    if replication:
        supp["BucketReplicationConfiguration"] = {"roleARN": f"arn:aws:iam::{acct}:role/s3-replication",
            "rules": {"replicate-all": {"destinationConfig": {"bucketARN": replication, "storageClass": "STANDARD_IA"},
                                        "prefix": "", "status": "Enabled"}}}
    conf = {"name": name, "owner": owner, "creationDate": "2023-03-14T08:00:00.000Z"}
    if status != "OK":
        conf, supp = None, {}
    d = ci(v, acct, region, "AWS::S3::Bucket", name, f"arn:aws:s3:::{name}", conf, supp, tags=tags, status=status)
    d["availabilityZone"] = "Regional"
    return d


def ssl_only(name):
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def sg(v, acct, region, gid, name, vpc, ingress, egress=None, tags=None):
    allout = [{"ipProtocol": "-1", "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": [],
               "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"]}]
    conf = {"description": f"{name} security group", "groupName": name, "ownerId": acct, "groupId": gid,
            "ipPermissions": ingress, "ipPermissionsEgress": allout if egress is None else egress,
            "vpcId": vpc, "tags": [{"key": k, "value": x} for k, x in (tags or {}).items()]}
    return ci(v, acct, region, "AWS::EC2::SecurityGroup", gid, f"arn:aws:ec2:{region}:{acct}:security-group/{gid}",
              conf, name=name, tags=tags, rels=[{"resourceId": vpc, "resourceType": "AWS::EC2::VPC",
                                                 "name": "Is contained in Vpc"}])


def perm(proto, lo, hi, v4=(), v6=()):
    p = {"ipProtocol": proto, "ipv6Ranges": [{"cidrIpv6": c} for c in v6], "prefixListIds": [],
         "userIdGroupPairs": [], "ipv4Ranges": [{"cidrIp": c} for c in v4], "ipRanges": list(v4)}
    if proto != "-1":
        p.update(fromPort=lo, toPort=hi)
    return p


def policy_ci(v, acct, pid, name, docs, default, boundary=0):
    versions = [{"document": urllib.parse.quote(json.dumps(doc, separators=(",", ":")), safe=""),
                 "versionId": vid, "isDefaultVersion": vid == default, "createDate": "2023-05-02T09:12:44.000Z"}
                for vid, doc in docs]
    conf = {"policyName": name, "policyId": pid, "arn": f"arn:aws:iam::{acct}:policy/{name}", "path": "/",
            "defaultVersionId": default, "attachmentCount": 1, "permissionsBoundaryUsageCount": boundary,
            "isAttachable": True, "description": None, "createDate": "2023-05-02T09:12:44.000Z",
            "updateDate": "2023-05-02T09:12:44.000Z", "policyVersionList": versions}
    d = ci(v, acct, "global", "AWS::IAM::Policy", pid, conf["arn"], conf, name=name)
    return d


def instance(v, acct, region, iid, public_ip, tokens, tags, vpc="vpc-0a1b2c3d4e5f60718"):
    conf = {"instanceId": iid, "imageId": "ami-0c55b159cbfafe1f0", "instanceType": "t3.medium",
            "launchTime": "2023-09-01T12:00:00.000Z", "privateIpAddress": "10.20.1.17",
            "state": {"code": 16, "name": "running"}, "subnetId": "subnet-0123456789abcdef0", "vpcId": vpc,
            "metadataOptions": {"state": "applied", "httpTokens": tokens, "httpPutResponseHopLimit": 1,
                                "httpEndpoint": "enabled", "httpProtocolIpv6": "disabled",
                                "instanceMetadataTags": "disabled"},
            "securityGroups": [{"groupName": "web", "groupId": "sg-0a11aa11aa11aa110"}],
            "tags": [{"key": k, "value": x} for k, x in tags.items()]}
    if public_ip:
        conf["publicIpAddress"] = public_ip
        conf["publicDnsName"] = "ec2-" + public_ip.replace(".", "-") + ".compute-1.amazonaws.com"
    d = ci(v, acct, region, "AWS::EC2::Instance", iid, f"arn:aws:ec2:{region}:{acct}:instance/{iid}", conf, tags=tags)
    d["availabilityZone"] = region + "a"
    return d


def volume(v, acct, region, vid, encrypted):
    conf = {"volumeId": vid, "size": 100, "snapshotId": "", "availabilityZone": region + "a",
            "state": "in-use" if v == "1.2" else {"value": "in-use"}, "createTime": "2023-09-01T12:00:00.000Z",
            "attachments": [{"attachTime": "2023-09-01T12:00:00.000Z", "device": "/dev/xvda",
                             "instanceId": "i-0aaa1111bbbb22223", "state": "attached", "volumeId": vid,
                             "deleteOnTermination": True}],
            "encrypted": encrypted, "volumeType": "gp3", "iops": 3000, "throughput": 125, "tags": []}
    if encrypted:
        conf["kmsKeyId"] = f"arn:aws:kms:{region}:{acct}:key/1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
    return ci(v, acct, region, "AWS::EC2::Volume", vid, f"arn:aws:ec2:{region}:{acct}:volume/{vid}", conf,
              tags={"CostCenter": "cc-100"} if encrypted else {})


def db(v, acct, region, ident, public, encrypted, backup):
    conf = {"dBInstanceIdentifier": ident, "dBInstanceClass": "db.t3.medium", "engine": "postgres",
            "dBInstanceStatus": "available", "masterUsername": "app",
            "endpoint": {"address": f"{ident}.c9akciq32.{region}.rds.amazonaws.com", "port": 5432,
                         "hostedZoneId": "Z2R2ITUGPM61AM"},
            "allocatedStorage": 100, "backupRetentionPeriod": backup, "preferredBackupWindow": "03:00-03:30",
            "multiAZ": False, "engineVersion": "15.4", "publiclyAccessible": public,
            "storageEncrypted": encrypted, "dbiResourceId": "db-" + hashlib.md5(ident.encode()).hexdigest()[:26].upper(),
            "dBInstanceArn": f"arn:aws:rds:{region}:{acct}:db:{ident}", "vpcSecurityGroups": [
                {"vpcSecurityGroupId": "sg-0b22bb22bb22bb220", "status": "active"}]}
    if encrypted:
        conf["kmsKeyId"] = f"arn:aws:kms:{region}:{acct}:key/2a3b4c5d-6e7f-8091-a2b3-c4d5e6f70819"
    d = ci(v, acct, region, "AWS::RDS::DBInstance", conf["dbiResourceId"], conf["dBInstanceArn"], conf,
           supp={"Tags": []}, name=ident, tags={"CostCenter": "cc-200"})
    d["availabilityZone"] = region + "b"
    return d


def snapshot(v, acct, region, ident, public, encrypted):
    conf = {"dBSnapshotIdentifier": ident, "dBInstanceIdentifier": "orders-db", "engine": "postgres",
            "snapshotCreateTime": "2023-10-30T03:05:00.000Z", "allocatedStorage": 100, "status": "available",
            "port": 5432, "snapshotType": "manual", "encrypted": encrypted,
            "dBSnapshotArn": f"arn:aws:rds:{region}:{acct}:snapshot:{ident}"}
    supp = {"DBSnapshotAttributes": [{"attributeName": "restore",
                                      "attributeValues": ["all"] if public else [DEV]}], "Tags": []}
    return ci(v, acct, region, "AWS::RDS::DBSnapshot", ident, conf["dBSnapshotArn"], conf, supp)


def function(v, acct, region, name, policy, subnets):
    arn = f"arn:aws:lambda:{region}:{acct}:function:{name}"
    conf = {"functionName": name, "functionArn": arn, "runtime": "python3.12", "handler": "app.handler",
            "role": f"arn:aws:iam::{acct}:role/{name}-role", "codeSize": 4096, "timeout": 30, "memorySize": 256,
            "lastModified": "2023-10-01T11:22:33.000+0000", "packageType": "Zip", "architectures": ["arm64"],
            "tracingConfig": {"mode": "PassThrough"}, "version": "$LATEST",
            "vpcConfig": {"subnetIds": subnets, "securityGroupIds": ["sg-0c33cc33cc33cc330"] if subnets else []}}
    supp = {"Tags": {}}
    if policy:
        supp["Policy"] = json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": policy},
                                    separators=(",", ":"))
    return ci(v, acct, region, "AWS::Lambda::Function", name, arn, conf, supp)


def write(path, obj, ndjson=False):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        if ndjson:
            for o in obj:
                f.write(json.dumps(o, separators=(",", ":")) + "\n")
        else:
            json.dump(obj, f, indent=2)
            f.write("\n")


def main():
    E1, W1 = "us-east-1", "eu-west-1"
    # ---- account 111122223333 (prod), us-east-1: one CI per file, mostly 1.3 ----
    write("prod/s3-acme-prod-data.json", bucket("1.3", PROD, E1, "acme-prod-data", [],
          policy={"Version": "2012-10-17", "Statement": [ssl_only("acme-prod-data")]},
          pab=(True, True, True, True), logging=("acme-prod-access-logs", "data/"), versioning="Enabled",
          sse=("aws:kms", f"arn:aws:kms:{E1}:{PROD}:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"),
          replication="arn:aws:s3:::acme-prod-data-replica", tags={"CostCenter": "cc-100"}))
    write("prod/s3-acme-prod-access-logs.json", bucket("1.3", PROD, E1, "acme-prod-access-logs",
          [{"grantee": "LogDelivery", "permission": "Write"}, {"grantee": "LogDelivery", "permission": "ReadAcp"}],
          pab=(True, True, True, True), versioning="Enabled", sse=("AES256", None)))
    write("prod/s3-acme-prod-website.json", bucket("1.2", PROD, E1, "acme-prod-website",
          [{"grantee": "AllUsers", "permission": "Read"}],
          logging=("acme-prod-access-logs", "website/"), versioning="Suspended", sse=("AES256", None)))
    write("prod/iam-policy-break-glass-admin.json", policy_ci("1.3", PROD, "ANPAZ7Q3BREAKGLASS001", "break-glass-admin",
          [("v1", {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})], "v1"))
    write("prod/iam-policy-data-pipeline.json", policy_ci("1.2", PROD, "ANPAZ7Q3DATAPIPE0002", "data-pipeline",
          [("v1", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
           ("v2", {"Version": "2012-10-17", "Statement": [
               {"Sid": "ReadData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::acme-prod-data", "arn:aws:s3:::acme-prod-data/*"]},
               {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:*",
                "Resource": f"arn:aws:sqs:{E1}:{PROD}:pipeline"}]})], "v2"))
    write("prod/iam-policy-readonly-audit.json", policy_ci("1.3", PROD, "ANPAZ7Q3READONLY0003", "readonly-audit",
          [("v1", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Action": ["cloudtrail:Describe*", "config:Get*", "iam:List*"], "Resource": "*"}]})], "v1"))
    write("prod/iam-user-alice.json", ci("1.3", PROD, "global", "AWS::IAM::User", "AIDAZ7Q3ALICE0000001",
          f"arn:aws:iam::{PROD}:user/alice", {"userName": "alice", "userId": "AIDAZ7Q3ALICE0000001",
          "arn": f"arn:aws:iam::{PROD}:user/alice", "path": "/", "createDate": "2022-01-10T09:00:00.000Z",
          "groupList": ["engineers"], "attachedManagedPolicies": [], "userPolicyList": []}, name="alice"))
    write("prod/iam-user-ci-deployer.json", ci("1.2", PROD, "global", "AWS::IAM::User", "AIDAZ7Q3DEPLOYER0002",
          f"arn:aws:iam::{PROD}:user/ci-deployer", {"userName": "ci-deployer", "userId": "AIDAZ7Q3DEPLOYER0002",
          "arn": f"arn:aws:iam::{PROD}:user/ci-deployer", "path": "/", "createDate": "2022-01-10T09:00:00.000Z",
          "groupList": [], "attachedManagedPolicies": [{"policyName": "data-pipeline",
          "policyArn": f"arn:aws:iam::{PROD}:policy/data-pipeline"}],
          "userPolicyList": [{"policyName": "deploy-inline", "policyDocument": urllib.parse.quote(json.dumps(
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode",
               "Resource": "*"}]}), safe="")}]}, name="ci-deployer"))
    write("prod/sg-web.json", sg("1.3", PROD, E1, "sg-0a11aa11aa11aa110", "web", "vpc-0a1b2c3d4e5f60718",
          [perm("tcp", 443, 443, ["0.0.0.0/0"], ["::/0"]), perm("tcp", 22, 22, ["10.0.0.0/8"])],
          tags={"CostCenter": "cc-100"}))
    write("prod/sg-bastion.json", sg("1.2", PROD, E1, "sg-0d44dd44dd44dd440", "bastion", "vpc-0a1b2c3d4e5f60718",
          [perm("tcp", 22, 22, ["0.0.0.0/0"])]))
    write("prod/sg-default.json", sg("1.3", PROD, E1, "sg-0e55ee55ee55ee550", "default", "vpc-0a1b2c3d4e5f60718",
          [], egress=[]))
    write("prod/ec2-instance-web-1.json", instance("1.3", PROD, E1, "i-0aaa1111bbbb22223", "54.210.33.7",
          "optional", {"Name": "web-1"}))
    write("prod/ec2-instance-worker-1.json", instance("1.3", PROD, E1, "i-0ccc3333dddd44445", None,
          "required", {"Name": "worker-1", "CostCenter": "cc-100"}))
    write("prod/ec2-volume-web-1-root.json", volume("1.3", PROD, E1, "vol-0123abcd4567ef890", True))
    write("prod/ec2-volume-legacy.json", volume("1.2", PROD, E1, "vol-0fedcba987654321a", False))
    write("prod/rds-orders-db.json", db("1.3", PROD, E1, "orders-db", False, True, 7))
    write("prod/rds-reporting-db.json", db("1.2", PROD, E1, "reporting-db", True, False, 0))
    write("prod/lambda-thumbnailer.json", function("1.3", PROD, E1, "thumbnailer", [
          {"Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
           "Action": "lambda:InvokeFunction", "Resource": f"arn:aws:lambda:{E1}:{PROD}:function:thumbnailer",
           "Condition": {"StringEquals": {"AWS:SourceAccount": PROD},
                         "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::acme-prod-data"}}}],
          ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]))
    write("prod/lambda-webhook.json", function("1.2", PROD, E1, "webhook", [
          {"Sid": "public-url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
           "Resource": f"arn:aws:lambda:{E1}:{PROD}:function:webhook"}], []))
    # ---- account 444455556666 (dev), eu-west-1: a snapshot file and an NDJSON file ----
    snap = [
        bucket("1.3", DEV, W1, "acme-dev-scratch", [],
               policy={"Version": "2012-10-17", "Statement": [{"Sid": "AnyoneUpload", "Effect": "Allow",
                       "Principal": {"AWS": "*"}, "Action": ["s3:PutObject", "s3:GetObject"],
                       "Resource": "arn:aws:s3:::acme-dev-scratch/*"}]}),
        bucket("1.3", DEV, W1, "acme-dev-assets", [{"grantee": "AllUsers", "permission": "Read"}],
               policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-dev-assets/*"}, ssl_only("acme-dev-assets")]},
               pab=(True, True, True, True), logging=("acme-dev-logs", None), versioning="Enabled",
               sse=("aws:kms", None), tags={"CostCenter": "cc-900"}),
        bucket("1.2", DEV, W1, "acme-dev-shared", [{"grantee": "AuthenticatedUsers", "permission": "Write"}],
               sse=("AES256", None)),
        bucket("1.3", DEV, W1, "acme-dev-old-exports", [], status="ResourceDeleted"),
        sg("1.3", DEV, W1, "sg-0f66ff66ff66ff660", "db-admin", "vpc-0b2c3d4e5f6071829",
           [perm("tcp", 3306, 3306, [], ["::/0"]), perm("tcp", 5432, 5432, ["10.1.0.0/16"])]),
        sg("1.3", DEV, W1, "sg-0a77aa77aa77aa770", "default", "vpc-0b2c3d4e5f6071829",
           [perm("-1", None, None, [], [])]),
        sg("1.3", DEV, W1, "sg-0b88bb88bb88bb880", "wide-open", "vpc-0b2c3d4e5f6071829",
           [perm("-1", None, None, ["0.0.0.0/0"])]),
        snapshot("1.3", DEV, W1, "orders-db-2023-10-30", True, False),
        snapshot("1.3", DEV, W1, "orders-db-2023-10-31", False, True),
        policy_ci("1.3", DEV, "ANPAZ7Q3BOUNDARY0004", "dev-boundary",
                  [("v1", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                           {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]})], "v1", boundary=3),
    ]
    # the first sg's rules need a group pair too, as AWS records it
    snap[4]["configuration"]["ipPermissions"][1]["userIdGroupPairs"] = [
        {"groupId": "sg-0b88bb88bb88bb880", "userId": DEV}]
    write("dev/snapshot-eu-west-1.json", {"fileVersion": "1.0",
          "configSnapshotId": "6b0b9e1c-4e3a-4a51-9f0f-2d7b8a1c9e42", "configurationItems": snap})
    nd = []
    for i, (region, name, pitr) in enumerate([(W1, "sessions", "ENABLED"), (E1, "feature-flags", "DISABLED")]):
        arn = f"arn:aws:dynamodb:{region}:{DEV}:table/{name}"
        nd.append(ci("1.3", DEV, region, "AWS::DynamoDB::Table", name, arn,
                     {"tableName": name, "tableArn": arn, "tableStatus": "ACTIVE", "itemCount": 1200 * (i + 1),
                      "keySchema": [{"attributeName": "pk", "keyType": "HASH"}],
                      "attributeDefinitions": [{"attributeName": "pk", "attributeType": "S"}],
                      "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"}, "creationDateTime": 1678780800000},
                     {"ContinuousBackupsDescription": {"continuousBackupsStatus": "ENABLED",
                      "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": pitr}}, "Tags": []},
                     tags={"CostCenter": "cc-900"} if pitr == "ENABLED" else {}))
    for fsid, enc in [("fs-0a1b2c3d4e5f60718", True), ("fs-0918273645abcdef0", False)]:
        arn = f"arn:aws:elasticfilesystem:{W1}:{DEV}:file-system/{fsid}"
        conf = {"FileSystemId": fsid, "Arn": arn, "Encrypted": enc, "PerformanceMode": "generalPurpose",
                "ThroughputMode": "bursting", "BackupPolicy": {"Status": "ENABLED"}, "FileSystemTags": [],
                "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}]}
        if enc:
            conf["KmsKeyId"] = f"arn:aws:kms:{W1}:{DEV}:key/3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b"
        nd.append(ci("1.3", DEV, W1, "AWS::EFS::FileSystem", fsid, arn, conf))
    for name, kms, valid in [("org-trail", True, True), ("dev-debug-trail", False, False)]:
        arn = f"arn:aws:cloudtrail:{W1}:{DEV}:trail/{name}"
        conf = {"name": name, "trailARN": arn, "s3BucketName": "acme-dev-logs", "homeRegion": W1,
                "isMultiRegionTrail": kms, "includeGlobalServiceEvents": True, "logFileValidationEnabled": valid,
                "isOrganizationTrail": False, "hasCustomEventSelectors": False, "hasInsightSelectors": False}
        if kms:
            conf["kmsKeyId"] = f"arn:aws:kms:{W1}:{DEV}:key/4d5e6f70-8192-a3b4-c5d6-e7f8091a2b3c"
        nd.append(ci("1.2", DEV, W1, "AWS::CloudTrail::Trail", arn, arn, conf, {"Tags": []}, name=name))
    for kid, manager, rotation in [("4d5e6f70-8192-a3b4-c5d6-e7f8091a2b3c", "CUSTOMER", True),
                                   ("5e6f7081-92a3-b4c5-d6e7-f8091a2b3c4d", "CUSTOMER", False),
                                   ("6f708192-a3b4-c5d6-e7f8-091a2b3c4d5e", "AWS", False)]:
        arn = f"arn:aws:kms:{W1}:{DEV}:key/{kid}"
        nd.append(ci("1.3", DEV, W1, "AWS::KMS::Key", kid, arn,
                     {"keyId": kid, "arn": arn, "awsaccountId": DEV, "creationDate": 1678780800000, "enabled": True,
                      "keyUsage": "ENCRYPT_DECRYPT", "keyState": "Enabled", "origin": "AWS_KMS",
                      "keyManager": manager, "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
                      "keySpec": "SYMMETRIC_DEFAULT", "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
                      "multiRegion": False, "description": "Default key" if manager == "AWS" else "app data"},
                     {"KeyRotationStatus": rotation}))
    for cid, public in [("analytics-prod", True), ("analytics-dev", False)]:
        arn = f"arn:aws:redshift:{E1}:{DEV}:cluster:{cid}"
        nd.append(ci("1.3", DEV, E1, "AWS::Redshift::Cluster", cid, arn,
                     {"clusterIdentifier": cid, "nodeType": "ra3.xlplus", "clusterStatus": "available",
                      "masterUsername": "admin", "dBName": "dev", "publiclyAccessible": public, "encrypted": True,
                      "numberOfNodes": 2, "vpcId": "vpc-0c3d4e5f6071829a0",
                      "endpoint": {"address": f"{cid}.cq1x.{E1}.redshift.amazonaws.com", "port": 5439}},
                     {"LoggingStatus": {"loggingEnabled": False}}, tags={"CostCenter": "cc-900"}))
    write("dev/items.ndjson", nd, ndjson=True)


if __name__ == "__main__":
    main()
