#!/usr/bin/env python3
"""Deterministic generator of realistic AWS Config configuration items (NDJSON).

Writes one CI per line, shaped the way AWS Config records them: both envelope
dialects (1.2: version/accountId/arn/configurationStateId as a string; 1.3:
configurationItemVersion/awsAccountId/ARN/configurationStateId as a number),
realistic sizes (EC2 instances of several KB), JSON held in strings where AWS
puts it there (S3 supplementaryConfiguration values, URL-encoded IAM policy
documents), a mix of compliant and non-compliant resources, a few deleted CIs,
and ~20% resource types that the benchmark pack does not read.

The output depends only on --count and --seed (same arguments, same bytes).

Usage: gen_cis.py --count 100000 --seed 1 -o cis.ndjson[.gz]
"""

import argparse
import gzip
import io
import json
import random
import sys
import urllib.parse

REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-southeast-1", "ap-northeast-1"]
ACCOUNTS = ["%012d" % n for n in (264683526309, 681361479661, 934654633380,
                                  212591712841, 123456789012, 555566667777)]
TEAMS = ["payments", "search", "platform", "data", "identity", "growth"]
ENVS = ["prod", "staging", "dev", "test"]

# (resource type, weight). The benchmark pack reads the first nine; the rest
# (20% of CIs) are types no rule is `for`, so the engine should skip them cheaply.
TYPE_WEIGHTS = [
    ("AWS::EC2::SecurityGroup", 17),
    ("AWS::EC2::Instance", 15),
    ("AWS::EC2::Volume", 13),
    ("AWS::S3::Bucket", 10),
    ("AWS::IAM::Policy", 6),
    ("AWS::RDS::DBInstance", 6),
    ("AWS::CloudTrail::Trail", 3),
    ("AWS::DynamoDB::Table", 5),
    ("AWS::EFS::FileSystem", 5),
    ("AWS::EC2::Subnet", 6),
    ("AWS::EC2::RouteTable", 4),
    ("AWS::CloudWatch::Alarm", 5),
    ("AWS::SSM::ManagedInstanceInventory", 3),
    ("AWS::KMS::Key", 2),
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.serial = 0

    # --- small helpers -----------------------------------------------------
    def hexid(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def upper_id(self, prefix, n=17):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        return prefix + "".join(self.r.choice(alphabet) for _ in range(n))

    def ts(self, year_lo=2016, year_hi=2023):
        r = self.r
        return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
            r.randint(year_lo, year_hi), r.randint(1, 12), r.randint(1, 28),
            r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
            r.randint(0, 999))

    def epoch_ms(self):
        return self.r.randint(1_450_000_000_000, 1_700_000_000_000)

    def private_ip(self):
        r = self.r
        return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255),
                                r.randint(1, 254))

    def public_ip(self):
        r = self.r
        return "%d.%d.%d.%d" % (r.choice([3, 18, 34, 52, 54]),
                                r.randint(0, 255), r.randint(0, 255),
                                r.randint(1, 254))

    def tag_list(self, name, key_names=("key", "value")):
        r = self.r
        k, v = key_names
        tags = [{k: "Name", v: name}]
        if r.random() < 0.85:
            tags.append({k: "Environment", v: r.choice(ENVS)})
        if r.random() < 0.8:
            tags.append({k: "Owner", v: r.choice(TEAMS) + "@example.com"})
        if r.random() < 0.75:
            tags.append({k: "CostCenter", v: "cc-%04d" % r.randint(1, 9999)})
        for i in range(r.randint(0, 3)):
            tags.append({k: "app:component%d" % i, v: self.hexid(8)})
        return tags

    # --- envelope ------------------------------------------------------------
    def envelope(self, rtype, rid, name, arn, config, supp, tag_list=None,
                 relationships=()):
        r = self.r
        v13 = r.random() < 0.5
        region = r.choice(REGIONS)
        account = r.choice(ACCOUNTS)
        arn = arn.replace("{region}", region).replace("{account}", account)
        capture = self.ts(2021, 2023)
        status = r.choices(
            ["OK", "ResourceDiscovered", "ResourceDeleted"], [70, 27, 3])[0]
        state_id = self.epoch_ms()
        ci = {}
        if v13:
            ci["configurationItemVersion"] = "1.3"
            ci["awsAccountId"] = account
        else:
            ci["version"] = "1.2"
            ci["accountId"] = account
        ci["configurationItemCaptureTime"] = capture
        ci["configurationItemStatus"] = status
        ci["configurationStateId"] = state_id if v13 else str(state_id)
        md5 = self.hexid(32)
        if v13:
            ci["configurationStateMd5Hash"] = ""
            ci["ARN"] = arn
        else:
            ci["configurationItemMD5Hash"] = md5
            ci["arn"] = arn
        ci["resourceType"] = rtype
        ci["resourceId"] = rid
        if name is not None:
            ci["resourceName"] = name
        ci["awsRegion"] = region
        ci["availabilityZone"] = r.choice(
            ["Not Applicable", "Regional", region + "a", region + "b"])
        ci["resourceCreationTime"] = self.ts()
        tags = {}
        for t in tag_list or []:
            tags[t.get("key", t.get("Key"))] = t.get("value", t.get("Value"))
        ci["tags"] = tags
        ci["relatedEvents"] = [
            "%s-%s-%s-%s-%s" % (self.hexid(8), self.hexid(4), self.hexid(4),
                                self.hexid(4), self.hexid(12))
            for _ in range(r.randint(0, 2))
        ]
        rel_key = "name" if v13 and r.random() < 0.5 else "relationshipName"
        ci["relationships"] = [{"resourceType": t, "resourceId": i, rel_key: n}
                               for (t, i, n) in relationships]
        if status == "ResourceDeleted":
            ci["configuration"] = None
            ci["supplementaryConfiguration"] = {}
        else:
            ci["configuration"] = config
            ci["supplementaryConfiguration"] = supp
        if v13:
            ci["resourceTransitionStatus"] = "None"
        return ci

    # --- resource types ----------------------------------------------------
    def security_group(self):
        r = self.r
        gid = "sg-" + self.hexid(17)
        vpc = "vpc-" + self.hexid(8)
        name = r.choice(["web", "db", "bastion", "launch-wizard", "internal",
                         "lb", "cache"]) + "-%d" % r.randint(1, 99)

        def ranges(world):
            cidrs = ["10.%d.0.0/16" % r.randint(0, 255)
                     for _ in range(r.randint(0, 2))]
            if world or not cidrs:
                cidrs.append("0.0.0.0/0" if world else "172.16.0.0/12")
            return cidrs

        def perm(proto, lo, hi, world):
            cidrs = ranges(world)
            p = {"ipProtocol": proto}
            if proto != "-1":
                p["fromPort"] = lo
                p["toPort"] = hi
            p["userIdGroupPairs"] = []
            if r.random() < 0.3:
                p["userIdGroupPairs"].append({
                    "userId": r.choice(ACCOUNTS), "groupId": "sg-" + self.hexid(8),
                    "description": "from peers"})
            p["ipRanges"] = cidrs
            p["ipv4Ranges"] = [{"cidrIp": c} for c in cidrs]
            p["ipv6Ranges"] = ([{"cidrIpv6": "::/0"}] if world and r.random() < 0.3
                               else [])
            p["prefixListIds"] = []
            return p

        perms = []
        for _ in range(r.randint(2, 6)):
            kind = r.random()
            if kind < 0.5:
                port = r.choice([443, 80, 8080, 8443])
                perms.append(perm("tcp", port, port, r.random() < 0.6))
            elif kind < 0.65:
                perms.append(perm("tcp", 22, 22, r.random() < 0.12))
            elif kind < 0.8:
                port = r.choice([3389, 3306, 5432, 1433, 6379, 27017, 9200])
                perms.append(perm("tcp", port, port, r.random() < 0.1))
            elif kind < 0.9:
                lo = r.choice([1024, 8000, 30000])
                perms.append(perm(r.choice(["tcp", "udp"]), lo, lo + 999,
                                  r.random() < 0.1))
            else:
                perms.append(perm("-1", None, None, r.random() < 0.05))
        config = {
            "ownerId": r.choice(ACCOUNTS), "groupName": name, "groupId": gid,
            "description": name + " created " + self.ts(),
            "ipPermissions": perms,
            "ipPermissionsEgress": [perm("-1", None, None, True)],
            "vpcId": vpc, "tags": self.tag_list(name)[:r.randint(0, 3)],
        }
        return self.envelope(
            "AWS::EC2::SecurityGroup", gid, name,
            "arn:aws:ec2:{region}:{account}:security-group/" + gid, config, {},
            config["tags"], [("AWS::EC2::VPC", vpc, "Is contained in Vpc")])

    def instance(self):
        r = self.r
        iid = "i-" + self.hexid(17)
        vpc = "vpc-" + self.hexid(8)
        subnet = "subnet-" + self.hexid(17)
        name = "%s-%s-%02d" % (r.choice(TEAMS), r.choice(["api", "worker", "web",
                                                          "batch"]),
                               r.randint(1, 40))
        priv = self.private_ip()
        pub = self.public_ip() if r.random() < 0.4 else None
        pdns = "ip-%s.ec2.internal" % priv.replace(".", "-")
        groups = [{"groupName": "grp-%d" % r.randint(1, 50),
                   "groupId": "sg-" + self.hexid(17)}
                  for _ in range(r.randint(1, 3))]
        enis = []
        for idx in range(r.choices([1, 2, 3], [70, 22, 8])[0]):
            eni_ip = priv if idx == 0 else self.private_ip()
            assoc = ({"publicIp": pub, "publicDnsName":
                      "ec2-%s.compute-1.amazonaws.com" % pub.replace(".", "-"),
                      "ipOwnerId": "amazon"} if pub and idx == 0 else None)
            addrs = [{"privateIpAddress": eni_ip,
                      "privateDnsName": "ip-%s.ec2.internal" % eni_ip.replace(".", "-"),
                      "primary": True}]
            if assoc:
                addrs[0]["association"] = assoc
            for _ in range(r.randint(0, 2)):
                ip = self.private_ip()
                addrs.append({"privateIpAddress": ip, "privateDnsName":
                              "ip-%s.ec2.internal" % ip.replace(".", "-"),
                              "primary": False})
            eni = {
                "networkInterfaceId": "eni-" + self.hexid(17),
                "subnetId": subnet, "vpcId": vpc, "description": "",
                "ownerId": r.choice(ACCOUNTS), "status": "in-use",
                "macAddress": ":".join(self.hexid(2) for _ in range(6)),
                "privateIpAddress": eni_ip,
                "privateDnsName": "ip-%s.ec2.internal" % eni_ip.replace(".", "-"),
                "sourceDestCheck": True, "groups": groups,
                "attachment": {"attachmentId": "eni-attach-" + self.hexid(17),
                               "deviceIndex": idx, "networkCardIndex": 0,
                               "status": "attached", "attachTime": self.ts(),
                               "deleteOnTermination": idx == 0},
                "privateIpAddresses": addrs, "ipv6Addresses": [],
                "interfaceType": "interface",
            }
            if assoc:
                eni["association"] = assoc
            enis.append(eni)
        bdms = [{"deviceName": d, "ebs": {"volumeId": "vol-" + self.hexid(17),
                                          "status": "attached",
                                          "attachTime": self.ts(),
                                          "deleteOnTermination": d == "/dev/xvda"}}
                for d in ["/dev/xvda", "/dev/sdf", "/dev/sdg"][:r.randint(1, 3)]]
        tags = self.tag_list(name)
        config = {
            "instanceId": iid, "imageId": "ami-" + self.hexid(17),
            "state": {"code": 16, "name": "running"} if r.random() < 0.85
            else {"code": 80, "name": "stopped"},
            "metadataOptions": {"state": "applied",
                                "httpTokens": r.choice(["optional", "required"]),
                                "httpPutResponseHopLimit": r.choice([1, 2]),
                                "httpEndpoint": "enabled",
                                "httpProtocolIpv6": "disabled",
                                "instanceMetadataTags": "disabled"},
            "privateDnsName": pdns,
            "publicDnsName": ("ec2-%s.compute-1.amazonaws.com" % pub.replace(".", "-")
                              if pub else ""),
            "stateTransitionReason": "", "keyName": r.choice(["ops", "deploy", "ssm-key"]),
            "amiLaunchIndex": 0, "productCodes": [],
            "instanceType": r.choice(["t3.micro", "t3.large", "m5.xlarge",
                                      "c5.2xlarge", "r6g.large"]),
            "launchTime": self.ts(),
            "placement": {"availabilityZone": "us-east-1b", "groupName": "",
                          "tenancy": "default"},
            "monitoring": {"state": r.choice(["disabled", "enabled"])},
            "subnetId": subnet, "vpcId": vpc, "privateIpAddress": priv,
            "architecture": r.choice(["x86_64", "arm64"]),
            "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda",
            "blockDeviceMappings": bdms, "virtualizationType": "hvm",
            "clientToken": self.hexid(16), "tags": tags,
            "securityGroups": groups, "sourceDestCheck": True,
            "hypervisor": "xen", "networkInterfaces": enis,
            "iamInstanceProfile": {"arn": "arn:aws:iam::%s:instance-profile/%s"
                                   % (r.choice(ACCOUNTS), name),
                                   "id": self.upper_id("AIPA")},
            "ebsOptimized": r.random() < 0.5, "enaSupport": True,
            "cpuOptions": {"coreCount": r.choice([1, 2, 4]), "threadsPerCore": 2},
            "capacityReservationSpecification": {"capacityReservationPreference": "open"},
            "hibernationOptions": {"configured": False},
            "enclaveOptions": {"enabled": False},
            "bootMode": "uefi-preferred", "platformDetails": "Linux/UNIX",
            "usageOperation": "RunInstances",
            "usageOperationUpdateTime": self.ts(),
            "privateDnsNameOptions": {"hostnameType": "ip-name",
                                      "enableResourceNameDnsARecord": False,
                                      "enableResourceNameDnsAAAARecord": False},
            "maintenanceOptions": {"autoRecovery": "default"},
            "elasticGpuAssociations": [], "elasticInferenceAcceleratorAssociations": [],
        }
        if pub:
            config["publicIpAddress"] = pub
        rels = [("AWS::EC2::NetworkInterface", e["networkInterfaceId"],
                 "Contains NetworkInterface") for e in enis]
        rels += [("AWS::EC2::SecurityGroup", g["groupId"],
                  "Is associated with SecurityGroup") for g in groups]
        rels += [("AWS::EC2::Subnet", subnet, "Is contained in Subnet"),
                 ("AWS::EC2::VPC", vpc, "Is contained in Vpc")]
        rels += [("AWS::EC2::Volume", b["ebs"]["volumeId"], "Is attached to Volume")
                 for b in bdms]
        return self.envelope("AWS::EC2::Instance", iid, None,
                             "arn:aws:ec2:{region}:{account}:instance/" + iid,
                             config, {}, tags, rels)

    def volume(self):
        r = self.r
        vid = "vol-" + self.hexid(17)
        iid = "i-" + self.hexid(17)
        encrypted = r.random() < 0.8
        attached = r.random() < 0.8
        config = {
            "volumeId": vid, "size": r.choice([8, 20, 50, 100, 500]),
            "snapshotId": r.choice(["", "snap-" + self.hexid(17)]),
            "availabilityZone": "us-east-1c",
            "state": "in-use" if attached else "available",
            "createTime": self.ts(),
            "attachments": ([{"volumeId": vid, "instanceId": iid,
                              "device": "/dev/xvda", "state": "attached",
                              "attachTime": self.ts(),
                              "deleteOnTermination": True}] if attached else []),
            "tags": self.tag_list(vid)[:r.randint(0, 2)],
            "volumeType": r.choice(["gp2", "gp3", "io1", "st1"]),
            "iops": r.choice([100, 3000, 16000]), "encrypted": encrypted,
            "multiAttachEnabled": False,
        }
        if encrypted:
            config["kmsKeyId"] = ("arn:aws:kms:us-east-1:%s:key/%s"
                                  % (r.choice(ACCOUNTS), self.hexid(32)))
        rels = [("AWS::EC2::Instance", iid, "Is attached to Instance")] if attached else []
        return self.envelope("AWS::EC2::Volume", vid, None,
                             "arn:aws:ec2:{region}:{account}:volume/" + vid,
                             config, {}, config["tags"], rels)

    def bucket(self):
        r = self.r
        name = "%s-%s-%s" % (r.choice(TEAMS), r.choice(["logs", "assets", "backup",
                                                        "data", "artifacts"]),
                             self.hexid(8))
        owner = self.hexid(64)
        grants = [{"grantee": {"id": owner, "displayName": None},
                   "permission": "FullControl"}]
        if r.random() < 0.08:
            grants.append({"grantee": "AllUsers", "permission": "Read"})
        if r.random() < 0.1:
            grants.append({"grantee": "LogDelivery", "permission": "Write"})
        acl = {"grantSet": None, "grantList": grants,
               "owner": {"displayName": None, "id": owner},
               "isRequesterCharged": False}
        policy = None
        if r.random() < 0.5:
            policy = {"Version": "2012-10-17", "Id": "Policy" + str(self.epoch_ms()),
                      "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny",
                                     "Principal": "*", "Action": "s3:*",
                                     "Resource": ["arn:aws:s3:::" + name,
                                                  "arn:aws:s3:::" + name + "/*"],
                                     "Condition": {"Bool": {"aws:SecureTransport":
                                                            "false"}}}]}
            if r.random() < 0.3:
                policy["Statement"].append({
                    "Sid": "AllowCloudFront", "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::" + name + "/*"})
        supp = {
            "AccessControlList": json.dumps(acl, separators=(",", ":")),
            "BucketAccelerateConfiguration": {"status": None},
            "BucketLoggingConfiguration": (
                {"destinationBucketName": "central-logs-" + self.hexid(6),
                 "logFilePrefix": name + "/"} if r.random() < 0.6
                else {"destinationBucketName": None, "logFilePrefix": None}),
            "BucketNotificationConfiguration": {"configurations": {}},
            "BucketPolicy": {"policyText": json.dumps(policy, separators=(",", ":"))
                             if policy else None},
            "BucketVersioningConfiguration": {
                "status": r.choices(["Enabled", "Off", "Suspended"], [65, 30, 5])[0],
                "isMfaDeleteEnabled": None},
            "IsRequesterPaysEnabled": False,
        }
        if r.random() < 0.85:
            alg = r.choice(["AES256", "aws:kms"])
            sse = {"rules": [{"applyServerSideEncryptionByDefault": {
                "sseAlgorithm": alg,
                "kmsMasterKeyID": None if alg == "AES256" else
                "arn:aws:kms:us-east-1:%s:key/%s" % (r.choice(ACCOUNTS), self.hexid(32))},
                "bucketKeyEnabled": alg != "AES256"}]}
            supp["ServerSideEncryptionConfiguration"] = json.dumps(
                sse, separators=(",", ":"))
        if r.random() < 0.7:
            flag = r.random() < 0.9
            supp["PublicAccessBlockConfiguration"] = json.dumps(
                {"blockPublicAcls": flag, "ignorePublicAcls": flag,
                 "blockPublicPolicy": flag, "restrictPublicBuckets": flag},
                separators=(",", ":"))
        if r.random() < 0.4:
            supp["BucketLifecycleConfiguration"] = {"rules": [{
                "id": "expire-old", "status": "Enabled",
                "filter": {"predicate": {"type": "LifecyclePrefixPredicate",
                                         "prefix": "tmp/"}},
                "expirationInDays": r.choice([30, 90, 365]),
                "noncurrentVersionTransitions": [], "transitions": []}]}
        config = {"name": name, "owner": {"displayName": None, "id": owner},
                  "creationDate": self.ts()}
        return self.envelope("AWS::S3::Bucket", name, name, "arn:aws:s3:::" + name,
                             config, supp, self.tag_list(name)[:r.randint(0, 4)])

    def iam_policy(self):
        r = self.r
        pid = self.upper_id("ANPA")
        name = "%s-%s-policy" % (r.choice(TEAMS), r.choice(["read", "deploy",
                                                            "admin", "ops"]))
        versions = []
        nver = r.randint(1, 3)
        for v in range(1, nver + 1):
            stmts = []
            for _ in range(r.randint(1, 4)):
                svc = r.choice(["s3", "ec2", "dynamodb", "logs", "sqs", "kms"])
                acts = [svc + ":" + a for a in r.sample(
                    ["Get*", "List*", "Describe*", "Put*", "Delete*", "Create*"],
                    r.randint(1, 3))]
                stmts.append({"Sid": "S%d" % len(stmts), "Effect": "Allow",
                              "Action": acts if len(acts) > 1 else acts[0],
                              "Resource": r.choice(["*", ["arn:aws:%s:::%s" % (
                                  svc, self.hexid(8))]])})
            if r.random() < 0.1:
                stmts.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
            if r.random() < 0.15:
                stmts.append({"Effect": "Deny", "Action": ["iam:*"],
                              "Resource": "*",
                              "Condition": {"Bool": {"aws:MultiFactorAuthPresent":
                                                     "false"}}})
            doc = {"Version": "2012-10-17",
                   "Statement": stmts if len(stmts) > 1 or r.random() < 0.5
                   else stmts[0]}
            versions.append({
                "document": urllib.parse.quote(json.dumps(doc, separators=(",", ":")),
                                               safe=""),
                "versionId": "v%d" % v, "isDefaultVersion": v == nver,
                "createDate": self.ts()})
        arn = "arn:aws:iam::{account}:policy/" + name
        config = {"policyName": name, "policyId": pid, "arn": arn, "path": "/",
                  "defaultVersionId": "v%d" % nver,
                  "attachmentCount": r.randint(0, 10), "permissionsBoundaryUsageCount": 0,
                  "isAttachable": True, "createDate": self.ts(),
                  "updateDate": self.ts(), "policyVersionList": versions}
        ci = self.envelope("AWS::IAM::Policy", pid, name, arn, config, {}, [],
                           [("AWS::IAM::Role", self.upper_id("AROA"), "Is attached to Role")
                            for _ in range(r.randint(0, 3))])
        if ci["configuration"]:
            ci["configuration"]["arn"] = ci.get("arn", ci.get("ARN"))
        ci["awsRegion"] = "global"
        return ci

    def rds(self):
        r = self.r
        ident = "%s-db-%d" % (r.choice(TEAMS), r.randint(1, 99))
        rid = "db-" + self.upper_id("", 26)
        engine = r.choice(["mysql", "postgres", "aurora-postgresql", "mariadb"])
        public = r.random() < 0.1
        encrypted = r.random() < 0.8
        vpc = "vpc-" + self.hexid(8)
        config = {
            "dBInstanceIdentifier": ident,
            "dBInstanceClass": r.choice(["db.t3.medium", "db.m5.large", "db.r6g.xlarge"]),
            "engine": engine, "dBInstanceStatus": "available",
            "masterUsername": "admin", "dBName": "app",
            "endpoint": {"address": "%s.%s.us-east-1.rds.amazonaws.com"
                         % (ident, self.hexid(12)),
                         "port": 5432 if "postgres" in engine else 3306,
                         "hostedZoneId": self.upper_id("Z", 13)},
            "allocatedStorage": r.choice([20, 100, 500]),
            "instanceCreateTime": self.ts(),
            "preferredBackupWindow": "08:50-09:20",
            "backupRetentionPeriod": r.choice([0, 1, 7, 35]),
            "dBSecurityGroups": [],
            "vpcSecurityGroups": [{"vpcSecurityGroupId": "sg-" + self.hexid(8),
                                   "status": "active"}],
            "dBParameterGroups": [{"dBParameterGroupName": "default." + engine,
                                   "parameterApplyStatus": "in-sync"}],
            "availabilityZone": "us-east-1a",
            "dBSubnetGroup": {"dBSubnetGroupName": "default",
                              "dBSubnetGroupDescription": "default", "vpcId": vpc,
                              "subnetGroupStatus": "Complete",
                              "subnets": [{"subnetIdentifier": "subnet-" + self.hexid(8),
                                           "subnetAvailabilityZone": {"name": az},
                                           "subnetStatus": "Active"}
                                          for az in ["us-east-1a", "us-east-1b",
                                                     "us-east-1c"]]},
            "preferredMaintenanceWindow": "sun:05:00-sun:05:30",
            "pendingModifiedValues": {}, "multiAZ": r.random() < 0.5,
            "engineVersion": "13.7", "autoMinorVersionUpgrade": True,
            "readReplicaDBInstanceIdentifiers": [], "licenseModel": "general-public-license",
            "optionGroupMemberships": [{"optionGroupName": "default:" + engine,
                                        "status": "in-sync"}],
            "publiclyAccessible": public, "storageType": "gp2",
            "dbInstancePort": 0, "storageEncrypted": encrypted,
            "dbiResourceId": rid, "cACertificateIdentifier": "rds-ca-2019",
            "copyTagsToSnapshot": True, "monitoringInterval": 0,
            "iAMDatabaseAuthenticationEnabled": False,
            "performanceInsightsEnabled": False, "deletionProtection": r.random() < 0.5,
            "associatedRoles": [], "enabledCloudwatchLogsExports": [],
            "dBInstanceArn": "arn:aws:rds:us-east-1:%s:db:%s" % (r.choice(ACCOUNTS), ident),
        }
        if encrypted:
            config["kmsKeyId"] = "arn:aws:kms:us-east-1:%s:key/%s" % (
                r.choice(ACCOUNTS), self.hexid(32))
        tags = self.tag_list(ident)[:r.randint(0, 3)]
        return self.envelope("AWS::RDS::DBInstance", rid, ident,
                             "arn:aws:rds:{region}:{account}:db:" + ident, config,
                             {"Tags": tags}, tags,
                             [("AWS::RDS::DBSubnetGroup", "default",
                               "Is associated with DBSubnetGroup")])

    def trail(self):
        r = self.r
        name = "%s-trail" % r.choice(TEAMS + ["org", "main"])
        config = {"name": name, "s3BucketName": "cloudtrail-" + self.hexid(8),
                  "s3KeyPrefix": "CloudTrail", "includeGlobalServiceEvents": True,
                  "isMultiRegionTrail": r.random() < 0.7, "homeRegion": "us-east-1",
                  "trailARN": "arn:aws:cloudtrail:us-east-1:%s:trail/%s"
                  % (r.choice(ACCOUNTS), name),
                  "logFileValidationEnabled": r.random() < 0.75,
                  "hasCustomEventSelectors": r.random() < 0.3,
                  "hasInsightSelectors": False, "isOrganizationTrail": False}
        if r.random() < 0.6:
            config["kmsKeyId"] = "arn:aws:kms:us-east-1:%s:key/%s" % (
                r.choice(ACCOUNTS), self.hexid(32))
        return self.envelope("AWS::CloudTrail::Trail", name, name,
                             "arn:aws:cloudtrail:{region}:{account}:trail/" + name,
                             config, {"Tags": []})

    def dynamodb(self):
        r = self.r
        name = "%s-%s" % (r.choice(TEAMS), r.choice(["sessions", "orders", "locks",
                                                     "events"]))
        arn_t = "arn:aws:dynamodb:us-east-1:%s:table/%s" % (r.choice(ACCOUNTS), name)
        config = {"attributeDefinitions": [{"attributeName": "pk", "attributeType": "S"},
                                           {"attributeName": "sk", "attributeType": "S"}],
                  "tableName": name,
                  "keySchema": [{"attributeName": "pk", "keyType": "HASH"},
                                {"attributeName": "sk", "keyType": "RANGE"}],
                  "tableStatus": "ACTIVE", "creationDateTime": self.epoch_ms(),
                  "provisionedThroughput": {"numberOfDecreasesToday": 0,
                                            "readCapacityUnits": 0,
                                            "writeCapacityUnits": 0},
                  "tableSizeBytes": r.randint(0, 10**9), "itemCount": r.randint(0, 10**6),
                  "tableArn": arn_t, "tableId": self.hexid(32),
                  "billingModeSummary": {"billingMode": "PAY_PER_REQUEST",
                                         "lastUpdateToPayPerRequestDateTime":
                                         self.epoch_ms()}}
        if r.random() < 0.3:
            config["ssedescription"] = {"status": "ENABLED", "ssetype": "KMS",
                                        "kmsmasterKeyArn": "arn:aws:kms:us-east-1:%s:key/%s"
                                        % (r.choice(ACCOUNTS), self.hexid(32))}
        pitr = "ENABLED" if r.random() < 0.6 else "DISABLED"
        supp = {"ContinuousBackupsDescription": {
            "continuousBackupsStatus": "ENABLED",
            "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": pitr}},
            "Tags": self.tag_list(name)[:r.randint(0, 3)]}
        return self.envelope("AWS::DynamoDB::Table", name, name,
                             "arn:aws:dynamodb:{region}:{account}:table/" + name,
                             config, supp, supp["Tags"])

    def efs(self):
        r = self.r
        fid = "fs-" + self.hexid(17)
        enc = r.random() < 0.8
        tags = self.tag_list(fid, ("Key", "Value"))[:r.randint(0, 3)]
        config = {"FileSystemId": fid,
                  "Arn": "arn:aws:elasticfilesystem:us-east-1:%s:file-system/%s"
                  % (r.choice(ACCOUNTS), fid),
                  "Encrypted": enc, "FileSystemTags": tags,
                  "PerformanceMode": "generalPurpose", "ThroughputMode": "bursting",
                  "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}],
                  "BackupPolicy": {"Status": r.choice(["ENABLED", "DISABLED"])},
                  "FileSystemPolicy": {}}
        if enc:
            config["KmsKeyId"] = "arn:aws:kms:us-east-1:%s:key/%s" % (
                r.choice(ACCOUNTS), self.hexid(32))
        return self.envelope("AWS::EFS::FileSystem", fid, None,
                             "arn:aws:elasticfilesystem:{region}:{account}:file-system/"
                             + fid, config, {}, tags)

    def skipped(self, rtype):
        """A type no pack rule reads: realistic but generic payload."""
        r = self.r
        rid = rtype.split("::")[-1].lower() + "-" + self.hexid(17)
        config = {"id": rid, "state": "available",
                  "properties": {"k%d" % i: self.hexid(12) for i in range(r.randint(4, 20))},
                  "entries": [{"ruleNumber": n, "cidrBlock": "10.%d.0.0/16" % n,
                               "egress": n % 2 == 0, "protocol": "-1"}
                              for n in range(r.randint(1, 8))]}
        return self.envelope(rtype, rid, None,
                             "arn:aws:x:{region}:{account}:" + rid, config, {}, [])

    def next_ci(self):
        rtype = self.r.choices(TYPES, WEIGHTS)[0]
        fn = DISPATCH.get(rtype)
        return fn(self) if fn else self.skipped(rtype)


TYPES = [t for t, _ in TYPE_WEIGHTS]
WEIGHTS = [w for _, w in TYPE_WEIGHTS]
DISPATCH = {
    "AWS::EC2::SecurityGroup": Gen.security_group,
    "AWS::EC2::Instance": Gen.instance,
    "AWS::EC2::Volume": Gen.volume,
    "AWS::S3::Bucket": Gen.bucket,
    "AWS::IAM::Policy": Gen.iam_policy,
    "AWS::RDS::DBInstance": Gen.rds,
    "AWS::CloudTrail::Trail": Gen.trail,
    "AWS::DynamoDB::Table": Gen.dynamodb,
    "AWS::EFS::FileSystem": Gen.efs,
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True, help="number of CIs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True,
                    help="output file (.gz for gzip, - for stdout)")
    args = ap.parse_args(argv)
    if args.count < 0:
        ap.error("--count must be >= 0")
    gen = Gen(args.seed)
    if args.output == "-":
        out = sys.stdout
    elif args.output.endswith(".gz"):
        # mtime=0 keeps gzip output byte-identical across runs.
        out = io.TextIOWrapper(gzip.GzipFile(args.output, "wb", mtime=0),
                               encoding="utf-8")
    else:
        out = open(args.output, "w", encoding="utf-8")
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with out:
        buf = []
        for i in range(args.count):
            buf.append(dumps(gen.next_ci()))
            if len(buf) == 2000:
                out.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            out.write("\n".join(buf) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
