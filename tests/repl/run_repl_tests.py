#!/usr/bin/env python3
"""Tests of `plumb repl`: driven through stdin (no terminal), then through a
real pseudo-terminal to check tab completion and history (libedit).

Usage: python3 tests/repl/run_repl_tests.py --plumb build/compiler/plumb
Ends with `N passed, M failed`.
"""
import argparse
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def run_stdin(plumb, script):
    p = subprocess.run([plumb, "repl", "examples/rules", "--input", "examples/rules/fixtures"], input=script,
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    return p.returncode, p.stdout + p.stderr


def stdin_tests(plumb):
    rc, out = run_stdin(plumb, ":cis\nconfiguration.ipPermissions.map(p => p.fromPort)\n:quit\n")
    check("exit 0", rc == 0, out)
    check("lists CIs", "AWS::EC2::SecurityGroup  sg-0a1b2c3d4e5f60718" in out, out)
    check("value and type", "[22, 443] : list<int>" in out, out)

    rc, out = run_stdin(plumb, "configuration.ipPermisions\n")
    check("typo is a diagnostic in the typed line", "<repl:1>:1:15: error[P0202]" in out and "did you mean `ipPermissions`" in out, out)

    rc, out = run_stdin(plumb, ":ci 1\nconfiguration.encrypted\n:type configuration.size\n:run\n")
    check("switch CI", "current: AWS::EC2::Volume vol-0f1e2d3c4b5a69788" in out, out)
    check("optional value", "false : bool?" in out, out)
    check(":type", "int?" in out, out)
    check(":run on the current CI", "encrypted_volumes: NON_COMPLIANT" in out, out)

    rc, out = run_stdin(plumb, ":explain restricted_ssh\n")
    check(":explain names the deciding check", "check 1 (examples/rules/network.plumb:7): FAILED" in out, out)

    script = 'rule tmp for AWS::EC2::SecurityGroup {\n  check configuration.groupName != "bastion"\n}\n:run tmp\n'
    rc, out = run_stdin(plumb, script)
    check("multi-line rule typed in place", "tmp: NON_COMPLIANT" in out and 'configuration.groupName is "bastion"' in out, out)

    rc, out = run_stdin(plumb, "rule bad for AWS::EC2::SecurityGrup {\n  check true\n}\n:rules\n")
    check("a bad rule is rejected and the program kept", "P0203" in out and "restricted_ssh" in out, out)

    rc, out = run_stdin(plumb, ":schema AWS::EC2::SecurityGroup configuration\n:params\n:frobnicate\n")
    check(":schema", "ipPermissions: list<AWS::EC2::SecurityGroup.IpPermission>" in out, out)
    check(":params", "required_tags.requiredTags: list<string>" in out, out)
    check("unknown command", "unknown command `:frobnicate`" in out, out)

    rc, out = run_stdin(plumb, "1 / 0\n2 + 3 * 4\n")
    check("runtime error reported, session goes on", "division by zero" in out and "14 : int" in out, out)


def read_until(fd, needle, timeout=30):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle.encode() in buf:
                return buf.decode(errors="replace")
    return buf.decode(errors="replace")


def pty_tests(plumb):
    home = tempfile.mkdtemp()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ["HOME"] = home
        os.environ["TERM"] = "xterm"
        os.execv(plumb, [plumb, "repl", "examples/rules", "--input", "examples/rules/fixtures"])
    out = read_until(fd, "plumb> ")
    check("pty: prompt", "plumb> " in out, out)
    os.write(fd, b"configuration.ipPer\t")
    out = read_until(fd, "missions")
    # libedit redraws only the completed suffix (after a cursor move).
    check("pty: completes a property path", "missions" in out, out)
    os.write(fd, b".length\r")
    out = read_until(fd, ": int")
    check("pty: evaluates the completed line", "2 : int" in out, out)
    os.write(fd, b":exp\t")
    out = read_until(fd, "lain")
    check("pty: completes a command", "lain" in out, out)
    os.write(fd, b" restr\t")
    out = read_until(fd, "icted_ssh")
    check("pty: completes a rule name", "icted_ssh" in out, out)
    os.write(fd, b"\r")
    out = read_until(fd, "plumb> ")
    check("pty: the completed command ran", "check 1 (examples/rules/network.plumb:7): FAILED" in out, out)
    os.write(fd, b"\x1b[A\x1b[A\r")  # up twice: the earlier expression
    out = read_until(fd, ": int")
    check("pty: history recalls an earlier line", "2 : int" in out, out)
    os.write(fd, b":quit\r")
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    check("pty: history saved", os.path.exists(os.path.join(home, ".plumb_history")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plumb", required=True)
    a = ap.parse_args()
    plumb = os.path.abspath(a.plumb)
    stdin_tests(plumb)
    pty_tests(plumb)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
