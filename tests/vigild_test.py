#!/usr/bin/env python3
"""End-to-end tests of the real vigild and vigilctl binaries.

Run inside a private network namespace (tests/lab/lab.sh netns), so vigild
can own 127.0.0.1:53 and glibc's resolver can be pointed at it. Clients are
the real ones a user has: dig, getent (glibc) and vigilctl; raw sockets only
where no real client can do the job (malformed packets, pipelining).

  lab.sh netns python3 tests/vigild_test.py --bin BUILD/server --corpus tests/corpus
"""
import argparse
import atexit
import os
import pwd
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ARGS = None

BASE_CONFIG = """
server:
  listen: ["127.0.0.1:53", "[::1]:53"]
  threads: 2
  identity: lab-resolver
  tcp_idle_timeout: 3s
  shutdown_grace: 2s
access_control:
  - {from: 127.0.0.2/32, action: refuse}
  - {from: 127.0.0.3/32, action: deny}
  - {from: 127.0.0.0/8, action: allow}
  - {from: "::1/128", action: allow}
control:
  socket: %(dir)s/control.sock
resolver:
  # A root server on loopback, which do_not_query (loopback by default)
  # forbids: vigild resolves, but no packet ever leaves it.
  root_hints: %(dir)s/root.hints
cache:
  persist_path: %(dir)s/cache.dump
local_zones:
  - {name: lan., type: static}
  - {name: blocked.example., type: refuse}
local_data:
  - "printer.lan. 3600 IN A 192.168.1.20"
  - "printer.lan. 3600 IN AAAA fd00::20"
  - "alias.lan. 300 IN CNAME printer.lan."
%(extra)s
"""


def big_txt_records():
    # 12 TXT records of 200 octets: about 2.5 KB, more than any UDP answer.
    return "".join('  - "big.lan. 60 IN TXT %s"\n' % (chr(ord("a") + i) * 200) for i in range(12))


def dig(*args, check=True):
    cmd = ["dig", "+time=2", "+tries=1"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def query(qid, name, qtype=1, qclass=1, flags=0x0100, edns=None):
    wire = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        wire += bytes([len(label)]) + label.encode()
    wire += b"\x00" + struct.pack(">HH", qtype, qclass)
    if edns:
        wire += b"\x00" + struct.pack(">HHIH", 41, edns, 0, 0)
    return wire


def header(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    return {"id": qid, "rcode": flags & 0xF, "tc": bool(flags & 0x0200), "qr": bool(flags & 0x8000), "an": an}


def udp_ask(wire, timeout=1.0, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.settimeout(timeout)
    try:
        s.sendto(wire, ("127.0.0.1", 53))
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def tcp_read(s):
    (n,) = struct.unpack(">H", recv_exact(s, 2))
    return recv_exact(s, n)


def capability(bit):
    with open("/proc/self/status") as f:
        eff = [l for l in f if l.startswith("CapEff:")][0].split()[1]
    return (int(eff, 16) >> bit) & 1 == 1


def nice_limit():
    """The larger of this process's soft and hard RLIMIT_NICE (what vigild could raise its own to)."""
    with open("/proc/self/limits") as f:
        fields = [l for l in f if l.startswith("Max nice priority")][0].split()
    return max(int(x) if x != "unlimited" else 40 for x in fields[3:5])


def writer_policy(pid):
    """The scheduling policy of vigild's query-log writer thread (0 SCHED_OTHER, 5 SCHED_IDLE)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() != "vigil-querylog":
                continue
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[41 - 3])  # field 41 of stat; fields[0] is field 3
    raise AssertionError("no vigil-querylog thread")


class Vigild:
    """One vigild process with its own directory and configuration."""

    def __init__(self, extra="", config=None):
        self.dir = tempfile.mkdtemp(prefix="vigild-test-")
        atexit.register(shutil.rmtree, self.dir, True)
        os.chmod(self.dir, 0o755)
        self.config = os.path.join(self.dir, "vigil.yaml")
        self.log = os.path.join(self.dir, "vigild.log")
        with open(os.path.join(self.dir, "root.hints"), "w") as f:
            f.write(".  3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.1.0.1\n")
        self.write_config(config if config is not None else BASE_CONFIG % {"dir": self.dir, "extra": extra})
        self.proc = None

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def start(self):
        self.logf = open(self.log, "a")
        atexit.register(self.logf.close)
        self.proc = subprocess.Popen([os.path.join(ARGS.bin, "vigild"), "-c", self.config],
                                     stdout=self.logf, stderr=self.logf, stdin=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("vigild exited %d:\n%s" % (self.proc.returncode, self.read_log()))
            if udp_ask(query(1, "printer.lan."), timeout=0.2):
                return self
        raise AssertionError("vigild did not answer within 10 s:\n" + self.read_log())

    def ctl(self, *args, user=None):
        cmd = [os.path.join(ARGS.bin, "vigilctl"), "-s", os.path.join(self.dir, "control.sock")] + list(args)
        if user:
            group = "nogroup" if user == "nobody" else user
            cmd = ["setpriv", "--reuid", user, "--regid", group, "--clear-groups"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=self.dir)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def read_log(self):
        with open(self.log) as f:
            return f.read()


class VigildTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Vigild(extra="local_data_ptr: true\n").start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, "vigild exited %s:\n%s" % (rc, cls.d.read_log())

    # --- local data, over UDP and TCP with dig -----------------------------

    def test_local_data_answers(self):
        self.assertEqual(dig("@127.0.0.1", "printer.lan", "A", "+short").stdout.split(), ["192.168.1.20"])
        self.assertEqual(dig("@127.0.0.1", "printer.lan", "AAAA", "+short", "+tcp").stdout.split(), ["fd00::20"])
        self.assertEqual(dig("@::1", "printer.lan", "A", "+short").stdout.split(), ["192.168.1.20"])
        self.assertEqual(dig("@127.0.0.1", "-x", "192.168.1.20", "+short").stdout.split(), ["printer.lan."])
        self.assertEqual(dig("@127.0.0.1", "alias.lan", "A", "+short").stdout.split(), ["printer.lan."])
        self.assertEqual(dig("@127.0.0.1", "localhost", "A", "+short").stdout.split(), ["127.0.0.1"])

    def test_static_zone_nxdomain_and_nodata_carry_the_soa(self):
        out = dig("@127.0.0.1", "scanner.lan", "A").stdout
        self.assertIn("status: NXDOMAIN", out)
        self.assertIn("AUTHORITY: 1", out)
        self.assertRegex(out, r"lan\.\s+\d+\s+IN\s+SOA")
        out = dig("@127.0.0.1", "printer.lan", "MX").stdout
        self.assertIn("status: NOERROR", out)
        self.assertIn("ANSWER: 0", out)
        self.assertIn("AUTHORITY: 1", out)
        out = dig("@127.0.0.1", "-x", "10.1.2.3").stdout  # RFC 6303 built-in
        self.assertIn("status: NXDOMAIN", out)

    def test_refuse_zone_and_unreachable_authority(self):
        self.assertIn("status: REFUSED", dig("@127.0.0.1", "ads.blocked.example", "A").stdout)
        # The only root server is in do_not_query: SERVFAIL saying why.
        out = dig("@127.0.0.1", "www.example.com", "A").stdout
        self.assertIn("status: SERVFAIL", out)
        self.assertIn("EDE: 22 (No Reachable Authority)", out)
        self.assertIn("do_not_query", out)

    def test_truncation_then_tcp(self):
        out = dig("@127.0.0.1", "big.lan", "TXT", "+ignore", "+bufsize=1232").stdout
        self.assertRegex(out, r"flags: qr tc rd ra")
        self.assertIn("ANSWER: 0", out)  # never a partial RRset
        out = dig("@127.0.0.1", "big.lan", "TXT", "+noedns", "+ignore").stdout
        self.assertRegex(out, r"flags: qr tc rd ra")
        out = dig("@127.0.0.1", "big.lan", "TXT").stdout  # dig retries over TCP
        self.assertIn("ANSWER: 12", out)
        self.assertIn("(TCP)", out)

    def test_any_is_minimal(self):
        out = dig("@127.0.0.1", "printer.lan", "ANY").stdout
        self.assertIn("ANSWER: 1", out)
        out = dig("@127.0.0.1", "nothing-cached.example", "ANY").stdout
        self.assertRegex(out, r'HINFO\s+"RFC8482" ""')

    def test_edns_edges(self):
        self.assertIn("status: BADVERS", dig("@127.0.0.1", "printer.lan", "+edns=1", "+noednsneg").stdout)
        out = dig("@127.0.0.1", "printer.lan", "+noedns").stdout
        self.assertNotIn("OPT PSEUDOSECTION", out)
        self.assertIn("status: NOTIMP", dig("@127.0.0.1", "printer.lan", "+opcode=2").stdout)
        self.assertIn("Transfer failed", dig("@127.0.0.1", "example.com", "AXFR", check=False).stdout)
        for qtype in (251, 252):  # IXFR, AXFR over UDP
            self.assertEqual(header(udp_ask(query(5, "example.com.", qtype)))["rcode"], 5)

    def test_chaos_identity(self):
        self.assertEqual(dig("@127.0.0.1", "hostname.bind", "CH", "TXT", "+short").stdout.strip(), '"lab-resolver"')
        self.assertEqual(dig("@127.0.0.1", "id.server", "CH", "TXT", "+short").stdout.strip(), '"lab-resolver"')
        self.assertRegex(dig("@127.0.0.1", "version.bind", "CH", "TXT", "+short").stdout, r'"vigil \d+\.\d+\.\d+"')
        self.assertIn("status: REFUSED", dig("@127.0.0.1", "other.bind", "CH", "TXT").stdout)

    # --- access control ------------------------------------------------------

    def test_acl_refuse_and_deny(self):
        self.assertIn("status: REFUSED", dig("@127.0.0.1", "-b", "127.0.0.2", "printer.lan").stdout)
        r = dig("@127.0.0.1", "-b", "127.0.0.3", "printer.lan", check=False)
        self.assertNotEqual(r.returncode, 0)  # silence: dig times out
        self.assertIn("timed out", r.stdout + r.stderr)
        r = dig("@127.0.0.1", "-b", "127.0.0.3", "printer.lan", "+tcp", check=False)
        self.assertNotEqual(r.returncode, 0)

    # --- malformed input ----------------------------------------------------

    def test_malformed_corpus_gets_formerr_or_silence(self):
        corpus = os.path.join(ARGS.corpus, "malformed")
        files = sorted(f for f in os.listdir(corpus) if f.endswith(".hex"))
        self.assertGreater(len(files), 10)
        for name in files:
            with open(os.path.join(corpus, name)) as f:
                hexdata = "".join(line for line in f if not line.startswith("#"))
            wire = bytes.fromhex("".join(hexdata.split()))
            reply = udp_ask(wire, timeout=0.3)
            if reply is not None:
                h = header(reply)
                self.assertTrue(h["qr"], name)
                self.assertIn(h["rcode"], (1, 4, 5), name)  # FORMERR, NOTIMP, REFUSED
                self.assertEqual(h["an"], 0, name)
            # Still answering.
            self.assertIsNotNone(udp_ask(query(7, "printer.lan.")), name)
        # The same garbage over TCP, then a good query on a new connection.
        for name in files:
            with open(os.path.join(corpus, name)) as f:
                wire = bytes.fromhex("".join("".join(l for l in f if not l.startswith("#")).split()))
            with socket.create_connection(("127.0.0.1", 53), timeout=2) as s:
                s.sendall(struct.pack(">H", len(wire)) + wire)
                s.settimeout(0.3)
                try:
                    tcp_read(s)
                except (EOFError, socket.timeout, ConnectionResetError):
                    pass
        self.assertIsNotNone(udp_ask(query(8, "printer.lan.")))
        random.seed(5)
        for _ in range(300):  # random bytes too
            udp_ask(bytes(random.getrandbits(8) for _ in range(random.randint(0, 80))), timeout=0.01)
        self.assertIsNotNone(udp_ask(query(9, "printer.lan.")))
        status = self.d.ctl("status").stdout
        self.assertRegex(status, r"outcome_formerr: [1-9]")

    # --- TCP ------------------------------------------------------------------

    def test_tcp_pipelining(self):
        names = ["printer.lan.", "scanner.lan.", "alias.lan.", "localhost.", "www.example.com."] * 4
        batch = b""
        for i, n in enumerate(names):
            q = query(1000 + i, n)
            batch += struct.pack(">H", len(q)) + q
        with socket.create_connection(("127.0.0.1", 53), timeout=3) as s:
            s.sendall(batch)
            ids = sorted(header(tcp_read(s))["id"] for _ in names)
        self.assertEqual(ids, list(range(1000, 1000 + len(names))))

    def test_tcp_connection_survives_a_reload(self):
        with socket.create_connection(("127.0.0.1", 53), timeout=3) as s:
            q = query(1, "printer.lan.")
            s.sendall(struct.pack(">H", len(q)) + q)
            self.assertEqual(header(tcp_read(s))["rcode"], 0)
            self.assertEqual(self.d.ctl("reload").returncode, 0)
            s.sendall(struct.pack(">H", len(q)) + q)
            self.assertEqual(header(tcp_read(s))["an"], 1)

    # --- glibc ------------------------------------------------------------------

    def test_glibc_resolver_gets_local_data(self):
        work = tempfile.mkdtemp(prefix="getent-")
        with open(os.path.join(work, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
        with open(os.path.join(work, "nsswitch.conf"), "w") as f:
            f.write("hosts: dns\n")
        script = ("mount --bind {0}/resolv.conf /etc/resolv.conf && "
                  "mount --bind {0}/nsswitch.conf /etc/nsswitch.conf && "
                  "getent hosts printer.lan && getent ahosts printer.lan && getent hosts 192.168.1.20").format(work)
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^fd00::20\s+printer\.lan$")  # hosts prefers AAAA when present
        self.assertTrue(any(l.startswith("192.168.1.20") for l in lines), r.stdout)
        self.assertRegex(lines[-1], r"^192\.168\.1\.20\s+printer\.lan$")

    # --- vigilctl -------------------------------------------------------------

    def test_the_query_log_writer_is_idle_while_it_keeps_up(self):
        if not capability(23):
            self.skipTest("needs CAP_SYS_NICE")
        self.assertRegex(self.d.read_log(),
                         r"query log: writer thread at nice -?\d+ \(the workers: nice -?\d+\), idle while it keeps up")
        for i in range(20):
            dig("@127.0.0.1", "printer.lan", "+short")
        # Idle once it has kept up for a second (on a loaded machine the
        # watchdog may have boosted it).
        self.assertTrue(wait_for(lambda: writer_policy(self.d.proc.pid) == 5, 5))
        fields = dict(l.split(": ", 1) for l in self.d.ctl("status").stdout.splitlines())
        self.assertRegex(fields["querylog_writer_boosts"], r"^\d+$")

    def test_vigilctl_status(self):
        r = self.d.ctl("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        fields = dict(l.split(": ", 1) for l in r.stdout.splitlines())
        self.assertEqual(fields["threads"], "2")
        self.assertRegex(fields["version"], r"^\d+\.\d+\.\d+ \(commit ")
        self.assertGreater(int(fields["queries"]), 0)
        self.assertIn("cache_entries", fields)
        self.assertGreaterEqual(int(fields["uptime_seconds"]), 0)

    def test_vigilctl_cache_commands(self):
        dump = os.path.join(self.d.dir, "seed.dump")
        expires = int(time.time()) + 600
        with open(dump, "w") as f:
            f.write("P 5 %d 1 1 cached.example. c0000207\n" % expires)
            f.write("P 5 %d 1 1 a.sub.cached.example. c0000208\n" % expires)
            f.write("P 5 %d 1 1 old.example. c0000209\n" % (expires - 3600))
        r = self.d.ctl("cache-load", "seed.dump")  # relative to vigilctl's directory
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("loaded 2 entries (1 expired, 0 rejected)", r.stdout)
        out = dig("@127.0.0.1", "cached.example", "A").stdout
        self.assertRegex(out, r"cached\.example\.\s+(59\d|600)\s+IN\s+A\s+192\.0\.2\.7")
        self.assertNotIn(" aa", out.split("flags:")[1].split(";")[0])
        listing = self.d.ctl("cache-list", "cached.example").stdout
        self.assertIn("cached.example. ", listing)
        self.assertIn("192.0.2.7", listing)
        r = self.d.ctl("cache-dump", "out.dump")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("wrote 2 entries", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.d.dir, "out.dump")))
        self.assertIn("flushed 1 entries", self.d.ctl("flush", "cached.example").stdout)
        self.assertIn("SERVFAIL", dig("@127.0.0.1", "cached.example").stdout)
        self.assertIn("NOERROR", dig("@127.0.0.1", "a.sub.cached.example").stdout)
        self.assertIn("flushed 1 entries", self.d.ctl("flush-subtree", "cached.example").stdout)
        self.assertIn("SERVFAIL", dig("@127.0.0.1", "a.sub.cached.example").stdout)
        self.d.ctl("cache-load", "out.dump")
        self.assertEqual(self.d.ctl("flush-all").returncode, 0)
        self.assertIn("SERVFAIL", dig("@127.0.0.1", "cached.example").stdout)

    def test_vigilctl_errors(self):
        r = self.d.ctl("flush", "bad..name")
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not a domain name", r.stderr)
        r = self.d.ctl("cache-dump", "/nonexistent-dir/x.dump")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot create", r.stderr)
        r = subprocess.run([os.path.join(ARGS.bin, "vigilctl"), "-s", "/tmp/no-such-vigild.sock", "status"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("vigild is not running", r.stderr)
        # Issue 22: a command that fails says why and exits non-zero.
        before = self.d.ctl("status").stdout
        r = self.d.ctl("query-log", "/nonexistent-dir/q.log")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot open /nonexistent-dir/q.log", r.stderr)
        enabled = [l for l in before.splitlines() if l.startswith("querylog_enabled:")]
        self.assertEqual(len(enabled), 1)
        self.assertIn(enabled[0] + "\n", self.d.ctl("status").stdout)  # unchanged
        r = self.d.ctl("no-such-command")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Subcommands:", r.stderr)
        r = self.d.ctl()
        self.assertEqual(r.returncode, 2)
        r = self.d.ctl("status", user="nobody")  # socket is 0660 root:root
        self.assertEqual(r.returncode, 2)
        self.assertIn("permission denied", r.stderr)


class LifecycleTest(unittest.TestCase):
    """Each test starts its own vigild: reloads, shutdown, persistence, users."""

    def test_sighup_good_and_bad_files(self):
        d = Vigild(extra="").start()
        try:
            good = BASE_CONFIG % {"dir": d.dir, "extra": ""}
            d.write_config(good.replace("192.168.1.20", "192.168.1.99"))
            d.signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: dig("@127.0.0.1", "printer.lan", "+short").stdout.strip() == "192.168.1.99"))
            # A broken file: rejected with file and line, the old one stays in force.
            d.write_config(good.replace("threads: 2", "threads: lots"))
            d.signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "reload rejected" in d.read_log()))
            self.assertIn("vigil.yaml:4:", d.read_log())
            self.assertEqual(dig("@127.0.0.1", "printer.lan", "+short").stdout.strip(), "192.168.1.99")
            r = d.ctl("reload")
            self.assertEqual(r.returncode, 1)
            self.assertIn("server.threads: expected a whole number", r.stderr)
            # vigilctl -c FILE with the broken FILE still asks vigild, which says what is wrong.
            r = subprocess.run([os.path.join(ARGS.bin, "vigilctl"), "-c", d.config, "reload"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("reload rejected", r.stderr)
            # Local data errors are caught on reload too.
            d.write_config(good + '  - "alias.lan. 300 IN A 10.0.0.1"\n')
            r = d.ctl("reload")
            self.assertEqual(r.returncode, 1)
            self.assertIn("has a CNAME", r.stderr)
        finally:
            self.assertEqual(d.stop(), 0)

    def test_a_reload_warns_of_restart_keys_against_what_runs(self):
        # Issue 22: restoring the running server.threads warned all the same.
        d = Vigild(extra="").start()
        try:
            good = BASE_CONFIG % {"dir": d.dir, "extra": ""}
            d.write_config(good.replace("threads: 2", "threads: 3"))
            r = d.ctl("reload")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("changes to server.threads take effect at the next restart", r.stdout)
            d.write_config(good)
            r = d.ctl("reload")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("next restart", r.stdout)
        finally:
            self.assertEqual(d.stop(), 0)

    def test_sigterm_drains_and_persists_the_cache(self):
        d = Vigild().start()
        expires = int(time.time()) + 600
        seed = os.path.join(d.dir, "seed.dump")
        with open(seed, "w") as f:
            f.write("P 5 %d 1 1 kept.example. c0000207\n" % expires)
        self.assertIn("loaded 1 entries", d.ctl("cache-load", seed).stdout)
        # An idle TCP connection and an in-progress one must not hold the exit.
        idle = socket.create_connection(("127.0.0.1", 53))
        t0 = time.time()
        self.assertEqual(d.stop(), 0)
        self.assertLess(time.time() - t0, 5)
        idle.close()
        log = d.read_log()
        self.assertIn("received SIGTERM", log)
        self.assertIn("saved 1 entries", log)
        self.assertFalse(os.path.exists(os.path.join(d.dir, "control.sock")))
        # A restart loads it, with the remaining TTL.
        d.start()
        try:
            out = dig("@127.0.0.1", "kept.example", "A").stdout
            self.assertRegex(out, r"kept\.example\.\s+(5\d\d|600)\s+IN\s+A\s+192\.0\.2\.7")
            self.assertIn("loaded 1 entries", d.read_log())
        finally:
            self.assertEqual(d.stop(), 0)

    def test_the_domain_history_survives_a_restart_and_a_damaged_one_is_replaced(self):
        d = Vigild()
        history = os.path.join(d.dir, "domains.history")
        d.write_config(BASE_CONFIG % {"dir": d.dir,
                                      "extra": "intent:\n  new_domain: {window: 7d, state: %s}\n" % history})
        d.start()
        self.assertIn("no domain history at %s yet" % history, d.read_log())
        self.assertEqual(d.stop(), 0)
        self.assertIn("intent: domain history saved to " + history, d.read_log())
        size = os.path.getsize(history)
        self.assertGreater(size, 8 * 110000)  # 8 filters of 120 KB (100 000 domains a day)
        d.start()
        try:
            self.assertIn("intent: domain history loaded from " + history, d.read_log())
        finally:
            self.assertEqual(d.stop(), 0)
        with open(history, "r+b") as f:
            f.write(b"garbage!")
        d.start()
        try:
            self.assertIn("not a Vigil domain history); starting a new one", d.read_log())
            self.assertEqual(dig("@127.0.0.1", "printer.lan", "+short").stdout.strip(), "192.168.1.20")
        finally:
            self.assertEqual(d.stop(), 0)
        self.assertEqual(os.path.getsize(history), size)  # a good one again

    def test_runs_as_an_unprivileged_user_after_binding(self):
        d = Vigild(extra="")
        d.write_config((BASE_CONFIG % {"dir": d.dir, "extra": ""}).replace(
            "  threads: 2\n", "  threads: 2\n  user: nobody\n").replace("  persist_path: %s/cache.dump\n" % d.dir, ""))
        d.start()
        try:
            uid = pwd.getpwnam("nobody").pw_uid
            with open("/proc/%d/status" % d.proc.pid) as f:
                uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
            self.assertEqual(set(uids), {str(uid)})
            self.assertEqual(dig("@127.0.0.1", "printer.lan", "+short").stdout.strip(), "192.168.1.20")
            r = d.ctl("status", user="nobody")  # the socket is nobody's now
            self.assertEqual(r.returncode, 0, r.stderr)
            # The query-log writer is idle while it keeps up only if it can
            # come back unprivileged: RLIMIT_NICE raised before the switch
            # (CAP_SYS_RESOURCE); else at nice -5 for good, with a warning.
            if capability(23):  # CAP_SYS_NICE: the writer got nice -5
                if capability(24) or nice_limit() >= 25:
                    self.assertEqual(writer_policy(d.proc.pid), 5)
                    with open("/proc/%d/limits" % d.proc.pid) as f:
                        nice = [l for l in f if l.startswith("Max nice priority")][0].split()
                    self.assertGreaterEqual(int(nice[3]), 25)
                else:
                    self.assertEqual(writer_policy(d.proc.pid), 0)
                    self.assertIn("cannot return from idle priority once running as \"nobody\"", d.read_log())
        finally:
            self.assertEqual(d.stop(), 0)

    def test_unprivileged_on_a_high_port(self):
        d = Vigild()
        d.write_config("server:\n  listen: [\"127.0.0.1:5353\"]\ncontrol:\n  socket: \"\"\n")
        os.chmod(d.dir, 0o777)
        proc = subprocess.Popen(["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                                 os.path.join(ARGS.bin, "vigild"), "-c", d.config],
                                stderr=subprocess.PIPE, text=True)
        try:
            # 20 s: under AddressSanitizer, on a loaded CI machine, start-up took longer than 5.
            self.assertTrue(wait_for(lambda: "NXDOMAIN" in dig("@127.0.0.1", "-p", "5353", "x.invalid",
                                                               check=False).stdout, 20))
        finally:
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(10), 0, proc.stderr.read())

    def test_environment_variables_without_a_file_and_vigilctl_health(self):
        # As a container runs it: no -c FILE, the VIGIL_* variables only;
        # vigilctl finds the same settings in the same environment.
        d = Vigild()
        env = dict(os.environ, VIGIL_LISTEN="127.0.0.1:5355", VIGIL_THREADS="1",
                   VIGIL_CONTROL_SOCKET=os.path.join(d.dir, "env.sock"),
                   VIGIL_ROOT_HINTS=os.path.join(d.dir, "root.hints"), VIGIL_METRICS_LISTEN="127.0.0.1:9163")
        ctl = os.path.join(ARGS.bin, "vigilctl")
        proc = subprocess.Popen([os.path.join(ARGS.bin, "vigild")], env=env, stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_for(lambda: subprocess.run([ctl, "health"], env=env, capture_output=True)
                                     .returncode == 0))
            r = subprocess.run([ctl, "health"], env=env, capture_output=True, text=True)
            self.assertEqual(r.stdout.strip(), "healthy: 127.0.0.1:5355 answers")
            status = subprocess.run([ctl, "status"], env=env, capture_output=True, text=True)
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertIn("threads: 1\n", status.stdout)
            with urllib.request.urlopen("http://127.0.0.1:9163/metrics", timeout=5) as m:
                self.assertIn(b"vigil_build_info", m.read())
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0, proc.stderr.read())
        r = subprocess.run([ctl, "health"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("unhealthy", r.stderr)
        # A bad value names the variable; vigild does not start.
        bad = subprocess.run([os.path.join(ARGS.bin, "vigild")], env=dict(env, VIGIL_THREADS="many"),
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(bad.returncode, 1)
        self.assertIn('environment: VIGIL_THREADS="many"', bad.stderr)

    def test_kernel_drops_at_a_full_receive_buffer_show_in_status_and_metrics(self):
        # The smallest receive buffer the kernel gives and one worker, sent
        # queries faster than it answers them: what the kernel could not
        # queue is in udp_socket_drops, and /metrics says the same.
        d = Vigild()
        text = BASE_CONFIG % {"dir": d.dir, "extra": "metrics:\n  listen: 127.0.0.1:9165\n"}
        text = text.replace('  listen: ["127.0.0.1:53", "[::1]:53"]\n  threads: 2\n',
                            '  listen: ["127.0.0.1:5356"]\n  threads: 1\n  udp_receive_buffer: 1KiB\n')
        d.write_config(text)
        proc = subprocess.Popen([os.path.join(ARGS.bin, "vigild"), "-c", d.config], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        try:
            def status():
                r = d.ctl("status")
                return dict(l.split(": ", 1) for l in r.stdout.splitlines()) if r.returncode == 0 else None
            self.assertTrue(wait_for(lambda: status() is not None, 10))
            before = status()
            self.assertEqual(before["udp_socket_drops"], "0")
            self.assertLess(int(before["udp_receive_buffer_bytes"]), 8192)  # the kernel's minimum, about 2 KiB
            senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
            wire = query(7, "printer.lan.")
            for _ in range(5000):
                for s in senders:
                    s.sendto(wire, ("127.0.0.1", 5356))
            for s in senders:
                s.close()
            after = status()
            drops = int(after["udp_socket_drops"])
            self.assertGreater(drops, 0)
            self.assertLessEqual(drops, 20000)
            with urllib.request.urlopen("http://127.0.0.1:9165/metrics", timeout=5) as m:
                body = m.read().decode()
            samples = dict(l.rsplit(" ", 1) for l in body.splitlines() if l and not l.startswith("#"))
            self.assertGreaterEqual(float(samples["vigil_udp_socket_drops_total"]), drops)
            self.assertEqual(float(samples["vigil_udp_receive_buffer_bytes"]),
                             float(after["udp_receive_buffer_bytes"]))
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(10)
            err = proc.stderr.read()
            proc.stderr.close()
            self.assertEqual(rc, 0, err)

    def test_port_in_use_is_a_clear_error(self):
        blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        blocker.bind(("127.0.0.1", 5354))
        d = Vigild()
        d.write_config("server:\n  listen: [\"127.0.0.1:5354\"]\ncontrol:\n  socket: \"\"\n")
        r = subprocess.run([os.path.join(ARGS.bin, "vigild"), "-c", d.config], capture_output=True, text=True,
                           timeout=10)
        blocker.close()
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot listen on 127.0.0.1:5354 (udp", r.stderr)
        self.assertIn("Address already in use", r.stderr)

    def test_a_second_vigild_on_the_same_address_refuses_to_start(self):
        # Issue 22: SO_REUSEPORT would let it bind and take part of the traffic.
        first = Vigild(extra="").start()
        try:
            second = Vigild(extra="")
            conf = BASE_CONFIG % {"dir": second.dir, "extra": ""}
            second.write_config(conf)
            r = subprocess.run([os.path.join(ARGS.bin, "vigild"), "-c", second.config], capture_output=True,
                               text=True, timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("in use by another process (is another vigild running on it?)", r.stderr)
            self.assertEqual(first.ctl("status").returncode, 0)
            # Same control socket too: said, not taken over.
            third = Vigild(extra="")
            third.write_config((BASE_CONFIG % {"dir": third.dir, "extra": ""}).replace(
                third.dir + "/control.sock", first.dir + "/control.sock").replace('listen: ["127.0.0.1:53", "[::1]:53"]', 'listen: ["127.0.0.9:53"]'))
            r = subprocess.run([os.path.join(ARGS.bin, "vigild"), "-c", third.config], capture_output=True,
                               text=True, timeout=20)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("is another vigild running?", r.stderr)
        finally:
            self.assertEqual(first.stop(), 0)


class DefaultsTest(unittest.TestCase):
    def test_defaults_skip_a_missing_ipv6_loopback(self):
        # A namespace without ::1 (as in a container without IPv6): vigild on
        # its defaults still serves 127.0.0.1:53 and says what it skipped.
        work = tempfile.mkdtemp(prefix="vigild-defaults-")
        atexit.register(shutil.rmtree, work, True)
        cfg = os.path.join(work, "vigil.yaml")
        with open(os.path.join(work, "root.hints"), "w") as f:
            f.write(".  3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.1.0.1\n")
        with open(cfg, "w") as f:
            # The listen defaults, with a loopback root server (never the real ones).
            f.write("control:\n  socket: %s/control.sock\nresolver:\n  root_hints: %s/root.hints\n" % (work, work))
        script = ("ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1 && "
                  "({vigild} -c {cfg} 2> {work}/log & echo $! > {work}/pid) && "
                  "for i in $(seq 100); do out=$(dig +time=1 +tries=1 +short @127.0.0.1 localhost) && break; "
                  "sleep 0.1; done; echo \"$out\"; kill $(cat {work}/pid); wait"
                  ).format(vigild=os.path.join(ARGS.bin, "vigild"), cfg=cfg, work=work)
        r = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True, timeout=30)
        with open(os.path.join(work, "log")) as f:
            log = f.read()
        self.assertEqual(r.stdout.split(), ["127.0.0.1"], r.stderr + log)
        self.assertIn("cannot listen on [::1]:53 (udp)", log)
        self.assertIn("skipping this default address", log)
        self.assertIn("serving on 127.0.0.1:53 (udp, tcp)", log)


def wait_for(pred, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="directory with vigild and vigilctl")
    parser.add_argument("--corpus", required=True, help="tests/corpus")
    ARGS, rest = parser.parse_known_args()
    ARGS.bin = os.path.abspath(ARGS.bin)
    ARGS.corpus = os.path.abspath(ARGS.corpus)
    if os.geteuid() != 0:
        print("vigild_test: needs root (network and mount namespaces); skipping", file=sys.stderr)
        sys.exit(77)
    BASE_CONFIG = BASE_CONFIG.replace("%(extra)s", big_txt_records() + "%(extra)s")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
