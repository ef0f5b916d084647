#!/usr/bin/env python3
"""Threat feeds on the test lab, and Response Policy Zones compared with BIND.

  lab.sh netns python3 tests/rpz_bind_test.py --bin BUILD/server --lab tests/lab

Starts the lab (NSD on 127.x), one policy zone covering every trigger and
action vigild supports, and two resolvers on the same lab and zone: vigild
(127.0.0.1:53) and Debian's BIND `named` (127.0.0.1:5300, response-policy
with its defaults). The same queries go to both with dig; rcode, TC flag,
answer and authority records, and the policy SOA in the additional section
must agree (TTLs of cached data differ with timing and are not compared).

A third (127.0.0.3:53) keeps two feeds by zone transfer, from NSD (AXFR)
and Knot DNS (IXFR), and follows their new versions.

A second vigild (127.0.0.2:53) runs a hosts file, a domain list and a
log-only feed, and checks precedence, the query log's policy member, the
threat-feed alerts, metrics, and reloading: a changed file is picked up
without a signal, a broken one is refused and the old version kept.
"""
import argparse
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ARGS = None

POLICY_ZONE = """$TTL 300
@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60
@ NS localhost.
; QNAME, exact: NXDOMAIN and NODATA
www.zone-0.test        CNAME .
mail.zone-0.test       CNAME *.
; QNAME, wildcard (not the name itself), PASSTHRU exceptions, an empty
; non-terminal (y.zone-1.test) the wildcard does not cover
*.zone-1.test          CNAME .
www.zone-1.test        CNAME rpz-passthru.
x.y.zone-1.test        CNAME rpz-passthru.
; DROP and TCP-only
mail.site-0.example    CNAME rpz-drop.
www.site-0.example     CNAME rpz-tcp-only.
; local data, a redirect, a wildcard redirect ("*." = the query name)
alias.site-0.example   A 127.0.99.1
alias.site-0.example   TXT "walled garden"
chain.site-0.example   CNAME ns1.hosting-0.lab.
*.wild.site-0.example  CNAME *.hosting-0.lab.
*.site-1.example       600 A 127.0.99.3
; response IP: a /32, a /24 with local data, a longer PASSTHRU inside it, ::1
32.3.53.0.127.rpz-ip   CNAME .
24.0.54.0.127.rpz-ip   A 127.0.99.2
32.101.54.0.127.rpz-ip CNAME rpz-passthru.
128.1.zz.rpz-ip        CNAME *.
"""

# (name, type, extra dig flags)
QUERIES = [
    ("www.zone-0.test", "A", []),            # exact NXDOMAIN
    ("WWW.Zone-0.test", "AAAA", []),         # letter case does not matter
    ("mail.zone-0.test", "A", []),           # NODATA
    ("alias.zone-0.test", "A", []),          # a CNAME whose target is NXDOMAIN'd
    ("chain.zone-0.test", "A", []),          # two CNAMEs, then the rewritten target
    ("cdn.site-0.example", "A", []),         # three CNAMEs across zones
    ("zone-1.test", "MX", []),               # a wildcard does not cover its own name
    ("mail.zone-1.test", "A", []),           # wildcard NXDOMAIN
    ("deep.er.zone-1.test", "TXT", []),      # below the wildcard
    ("www.zone-1.test", "A", []),            # PASSTHRU beats the wildcard
    ("y.zone-1.test", "A", []),              # empty non-terminal in the policy zone
    ("a.b.zone-1.test", "A", []),            # QNAME trigger beats the IP trigger
    ("www.site-0.example", "A", []),         # TCP-only over UDP: TC=1
    ("www.site-0.example", "A", ["+tcp"]),   # ... and over TCP: answered
    ("alias.site-0.example", "A", []),       # local data
    ("alias.site-0.example", "TXT", []),
    ("alias.site-0.example", "AAAA", []),    # local data without that type: NODATA
    ("chain.site-0.example", "A", []),       # redirect, target resolved
    ("chain.site-0.example", "AAAA", []),    # redirect, target has no AAAA
    ("x.wild.site-0.example", "A", []),      # wildcard redirect to <qname>.hosting-0.lab.
    ("www.site-1.example", "A", []),         # wildcard local data
    ("www.site-1.example", "AAAA", []),
    ("site-1.example", "A", []),
    ("x.wild.zone-2.test", "A", []),         # rpz-ip /32 NXDOMAIN
    ("x.wild.zone-2.test", "TXT", []),       # no address in the answer: untouched
    ("a.b.zone-2.test", "A", []),            # rpz-ip /24 local data
    ("a.b.site-0.example", "A", []),         # the longer /32 PASSTHRU wins
    ("www.zone-2.test", "AAAA", []),         # rpz-ip ::1/128 NODATA
    ("www.zone-2.test", "A", []),            # untouched
    ("mail.zone-2.test", "A", []),           # untouched
    ("nonexistent.zone-2.test", "A", []),    # untouched NXDOMAIN
]

NAMED_CONF = """options {
  directory "%(dir)s";
  listen-on port 5300 { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-recursion { any; };
  allow-query { any; };
  dnssec-validation no;
  pid-file "%(dir)s/named.pid";
  response-policy { zone "rpz.lab"; };
};
zone "." { type hint; file "%(run)s/root.hints"; };
zone "rpz.lab" { type primary; file "%(dir)s/policy.rpz"; allow-query { none; }; };
"""

VIGIL_CONF = """server:
  listen: ["%(listen)s:53"]
  threads: 2
control:
  socket: %(dir)s/control.sock
resolver:
  root_hints: %(run)s/root.hints
  do_not_query: []
query_log:
  path: %(dir)s/queries.log
intent:
  alerts: %(dir)s/alerts.log
%(extra)s
"""


def read(path):
    with open(path) as f:
        return f.read()


def dig(server, name, qtype, *extra, port=53):
    r = subprocess.run(["dig", "@" + server, "-p", str(port), name, qtype, "+noall", "+comments", "+answer",
                        "+authority", "+additional", "+nostats", "+ignore", "+tries=1", "+timeout=3",
                        "+nocookie"] + list(extra), capture_output=True, text=True, timeout=30)
    return Reply(r.stdout)


class Reply:
    """dig's text, reduced to what two resolvers must agree on."""

    def __init__(self, text):
        self.text = text
        self.status = "TIMEOUT"
        self.tc = False
        self.sections = {"ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        section = None
        for line in text.splitlines():
            if "->>HEADER<<-" in line:
                self.status = line.split("status: ")[1].split(",")[0]
            elif line.startswith(";; flags:"):
                self.tc = " tc" in line.split(";")[2]
            elif line.startswith(";; ") and line.endswith(" SECTION:"):
                section = line[3:-len(" SECTION:")]
            elif line and not line.startswith(";") and section in self.sections:
                f = line.split(None, 4)
                self.sections[section].append((f[0].lower(), int(f[1]), f[3], f[4] if len(f) > 4 else ""))

    def comparable(self):
        def rrs(section, with_ttl=False):
            return sorted((o, t, d.lower()) + ((ttl,) if with_ttl else ())
                          for o, ttl, t, d in self.sections[section])
        additional = [r for r in rrs("ADDITIONAL", with_ttl=True) if r[1] == "SOA"]
        return {"status": self.status, "tc": self.tc, "answer": rrs("ANSWER"), "authority": rrs("AUTHORITY"),
                "policy_soa": additional}


class Lab:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="vigil-rpz-lab-")
        atexit.register(shutil.rmtree, self.work, True)
        self.run = os.path.join(self.work, "lab")
        self.lab_sh = os.path.join(ARGS.lab, "lab.sh")
        r = subprocess.run([self.lab_sh, "start", self.run, "--zones", "3"], capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise AssertionError("the lab did not start:\n" + r.stdout + r.stderr)
        atexit.register(lambda: subprocess.run([self.lab_sh, "stop", self.run], capture_output=True, timeout=60))


class Process:
    def __init__(self, argv, log, ready):
        self.log = log
        self.logf = open(log, "w")
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=self.logf, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited:\n%s" % (argv[0], self.read_log()))
            if ready():
                return
            time.sleep(0.1)
        raise AssertionError("%s did not come up:\n%s" % (argv[0], self.read_log()))

    def read_log(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_vigild(lab, listen, extra, d=None):
    if d is None:
        d = tempfile.mkdtemp(prefix="vigild-rpz-")
        atexit.register(shutil.rmtree, d, True)
    with open(os.path.join(d, "policy.rpz"), "w") as f:
        f.write(POLICY_ZONE)
    conf = os.path.join(d, "vigil.yaml")
    with open(conf, "w") as f:
        f.write(VIGIL_CONF % {"dir": d, "run": lab.run, "listen": listen, "extra": extra})
    log = os.path.join(d, "vigild.log")
    p = Process([os.path.join(ARGS.bin, "vigild"), "-c", conf], log,
                lambda: "serving on" in read(log))
    p.dir = d
    p.conf = conf
    atexit.register(p.stop)
    return p


LAB = None


def setUpModule():
    global LAB
    LAB = Lab()


class RpzComparedWithBindTest(unittest.TestCase):
    def test_every_trigger_and_action_answers_as_bind_does(self):
        lab = LAB
        named_dir = tempfile.mkdtemp(prefix="named-rpz-")
        atexit.register(shutil.rmtree, named_dir, True)
        with open(os.path.join(named_dir, "policy.rpz"), "w") as f:
            f.write(POLICY_ZONE)
        with open(os.path.join(named_dir, "named.conf"), "w") as f:
            f.write(NAMED_CONF % {"dir": named_dir, "run": lab.run})
        named_bin = shutil.which("named") or "/usr/sbin/named"
        self.assertTrue(os.path.exists(named_bin), "BIND's named is missing (./dev.sh deps installs bind9)")
        log = os.path.join(named_dir, "named.log")
        named = Process([named_bin, "-g", "-u", "root", "-c", os.path.join(named_dir, "named.conf")], log,
                        lambda: "running" in read(log))
        atexit.register(named.stop)
        vigild = start_vigild(lab, "127.0.0.1", """policy:
  feeds:
    - {name: lab-rpz, file: policy.rpz, zone: rpz.lab.}
""")
        differences = []
        for name, qtype, extra in QUERIES:
            b = dig("127.0.0.1", name, qtype, *extra, port=5300)
            v = dig("127.0.0.1", name, qtype, *extra)
            if b.comparable() != v.comparable():
                differences.append("%s %s %s\n  BIND:   %s\n  vigild: %s" % (
                    name, qtype, " ".join(extra), b.comparable(), v.comparable()))
        self.assertEqual(differences, [], "\n".join(differences))
        # The rewritten answers carry the policy SOA and the rules' TTLs
        # capped at 5 s, as BIND's; spot-check what the comparison allows.
        local = dig("127.0.0.1", "alias.site-0.example", "A")
        self.assertEqual([(r[1], r[3]) for r in local.sections["ANSWER"]], [(5, "127.0.99.1")])
        self.assertEqual(dig("127.0.0.1", "mail.site-0.example", "A").status, "TIMEOUT")  # rpz-drop
        self.assertEqual(vigild.stop(), 0, vigild.read_log())
        self.assertIn("policy: feed lab-rpz: 11 names, 4 addresses, serial 1", vigild.read_log())
        with open(os.path.join(vigild.dir, "queries.log")) as f:
            lines = [json.loads(l) for l in f]
        hits = [l["vigil"]["policy"] for l in lines if "policy" in l["vigil"]]
        self.assertIn({"feed": "lab-rpz", "action": "nxdomain", "trigger": "*.zone-1.test.",
                       "trigger_type": "qname", "mode": "enforce"}, hits)
        self.assertIn({"feed": "lab-rpz", "action": "local-data", "trigger": "127.0.54.0/24",
                       "trigger_type": "response-ip", "mode": "enforce"}, hits)
        # Issue 22: the query rpz-drop silenced still raises a verdict and an alert.
        dropped = [l for l in lines if l["vigil"]["outcome"] == "dropped_policy"]
        self.assertTrue(dropped)
        for l in dropped:
            self.assertEqual(l["dns"]["question"]["name"], "mail.site-0.example")
            self.assertIn("threat-feed", [v["category"] for v in l["vigil"]["verdicts"]], l)
        with open(os.path.join(vigild.dir, "alerts.log")) as f:
            alerts = [json.loads(l) for l in f]
        self.assertIn("dropped_policy", [a["vigil"]["outcome"] for a in alerts
                                         if a["dns"]["question"]["name"] == "mail.site-0.example"])
        named.stop()


class FeedsLabTest(unittest.TestCase):
    def test_lists_precedence_log_only_reload_and_metrics(self):
        lab = LAB
        extra = """metrics:
  listen: "127.0.0.2:9153"
policy:
  check_interval: 1s
  feeds:
    - {name: watch, file: %(dir)s/watch.txt, format: domains, mode: log}
    - {name: allow, file: %(dir)s/allow.txt, format: domains, action: passthru}
    - {name: hosts, file: %(dir)s/hosts, format: hosts}
    - {name: block, file: %(dir)s/block.txt, format: domains, action: nodata}
"""
        d = tempfile.mkdtemp(prefix="vigil-feeds-")
        atexit.register(shutil.rmtree, d, True)

        def write(name, text):
            path = os.path.join(d, name)
            with open(path + ".new", "w") as f:
                f.write(text)
            os.replace(path + ".new", path)

        write("watch.txt", "zone-0.test\n")
        write("allow.txt", "mail.zone-1.test\n")
        write("hosts", "0.0.0.0 www.zone-1.test\n127.0.0.7 printer.zone-2.test\n")
        write("block.txt", "zone-1.test\n")
        v = start_vigild(lab, "127.0.0.2", extra.replace("%(dir)s", d), d)
        # The domain list blocks zone-1.test and below with NODATA...
        r = dig("127.0.0.2", "alias.zone-1.test", "A")
        self.assertEqual((r.status, r.sections["ANSWER"]), ("NOERROR", []), r.text)
        self.assertIn("EDE: 15 (Blocked)", subprocess.run(
            ["dig", "@127.0.0.2", "alias.zone-1.test", "A"], capture_output=True, text=True).stdout)
        # ... an earlier feed's passthru lets one name through, an earlier
        # hosts file answers NXDOMAIN for another, and answers one itself.
        self.assertEqual(dig("127.0.0.2", "mail.zone-1.test", "A").status, "NOERROR")
        self.assertNotEqual(dig("127.0.0.2", "mail.zone-1.test", "A").sections["ANSWER"], [])
        self.assertEqual(dig("127.0.0.2", "www.zone-1.test", "A").status, "NXDOMAIN")
        p = dig("127.0.0.2", "printer.zone-2.test", "A")
        self.assertEqual([(x[2], x[3]) for x in p.sections["ANSWER"]], [("A", "127.0.0.7")], p.text)
        # The log-only feed changes nothing but logs and alerts.
        w = dig("127.0.0.2", "www.zone-0.test", "A")
        self.assertEqual(w.status, "NOERROR")
        self.assertNotEqual(w.sections["ANSWER"], [])

        # A changed file is picked up without a signal.
        write("block.txt", "zone-1.test\nzone-2.test\n")
        deadline = time.time() + 10
        while dig("127.0.0.2", "www.zone-2.test", "A").sections["ANSWER"] and time.time() < deadline:
            time.sleep(0.3)
        self.assertEqual(dig("127.0.0.2", "www.zone-2.test", "A").sections["ANSWER"], [])
        self.assertIn("policy: feed changed on disk, reloaded: block:", v.read_log())
        # A broken one is refused; the feed keeps its last good version.
        write("block.txt", "zone-1.test\nnot a domain\n")
        deadline = time.time() + 10
        while "block.txt:2: one domain per line" not in v.read_log() and time.time() < deadline:
            time.sleep(0.3)
        self.assertIn("block.txt:2: one domain per line", v.read_log())
        self.assertEqual(dig("127.0.0.2", "www.zone-2.test", "A").sections["ANSWER"], [])
        # SIGHUP reads every feed again: still broken, still the old version.
        v.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        self.assertEqual(dig("127.0.0.2", "www.zone-2.test", "A").sections["ANSWER"], [])
        self.assertIsNone(v.proc.poll())

        with urllib.request.urlopen("http://127.0.0.2:9153/metrics", timeout=10) as m:
            metrics = m.read().decode()
        self.assertIn('vigil_policy_queries_total{feed="block",action="nodata",mode="enforce"}', metrics)
        self.assertIn('vigil_policy_queries_total{feed="watch",action="nxdomain",mode="log"} 1', metrics)
        self.assertIn('vigil_policy_queries_total{feed="allow",action="passthru",mode="enforce"}', metrics)
        self.assertIn('vigil_policy_load_failures_total{feed="block"} 2', metrics)
        self.assertIn('vigil_policy_triggers{feed="block",type="qname"} 4', metrics)
        self.assertIn('vigil_intent_alerts_total{category="threat-feed"}', metrics)
        self.assertIn('vigil_top_queries{kind="blocked",rank="1"}', metrics)
        self.assertNotIn("zone-1.test", "".join(l for l in metrics.splitlines() if l.startswith("vigil_top")))
        top = subprocess.run([os.path.join(ARGS.bin, "vigilctl"), "-s", os.path.join(v.dir, "control.sock"),
                              "top", "blocked"], capture_output=True, text=True, timeout=30)
        self.assertEqual(top.returncode, 0, top.stderr)
        ranked = [l.split() for l in top.stdout.splitlines()]
        self.assertIn("zone-1.test", [r[1] for r in ranked], top.stdout)  # the domain list's NODATA
        self.assertIn("zone-2.test", [r[1] for r in ranked], top.stdout)
        self.assertNotIn("zone-0.test", [r[1] for r in ranked], top.stdout)  # log-only: not blocked

        self.assertEqual(v.stop(), 0, v.read_log())
        with open(os.path.join(v.dir, "alerts.log")) as f:
            alerts = [json.loads(l) for l in f]
        feed_alerts = [a["vigil"]["alert"] for a in alerts if a["rule"]["name"] == "threat-feed"]
        watched = [a for a in feed_alerts if a["evidence"]["feed"] == "watch"]
        self.assertTrue(watched, alerts)
        self.assertEqual(watched[0]["evidence"]["mode"], "log")
        self.assertEqual(watched[0]["evidence"]["trigger"], "*.zone-0.test.")
        self.assertEqual(watched[0]["domain"], "zone-0.test")
        self.assertIn({"feed": "hosts", "trigger": "www.zone-1.test.", "trigger_type": "qname",
                       "action": "nxdomain", "mode": "enforce"}, [a["evidence"] for a in feed_alerts])


NSD_CONF = """server:
  ip-address: 127.0.60.1
  port: 53
  username: ""
  chroot: ""
  zonesdir: "%(dir)s"
  database: ""
  zonelistfile: "%(dir)s/zone.list"
  xfrdfile: "%(dir)s/xfrd.state"
  xfrdir: "%(dir)s"
  pidfile: "%(dir)s/nsd.pid"
  logfile: "%(dir)s/nsd.log"
  server-count: 1
  do-ip6: no
remote-control:
  control-enable: no
zone:
  name: "rpz-a.lab."
  zonefile: "rpz-a.lab.zone"
  provide-xfr: 127.0.0.0/8 NOKEY
"""

KNOT_CONF = """server:
  listen: 127.0.61.1@53
  rundir: "%(dir)s"
  user: root:root
database:
  storage: "%(dir)s/db"
control:
  listen: "%(dir)s/knot.sock"
log:
  - target: "%(dir)s/knot.log"
    any: info
acl:
  - id: lab
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "%(dir)s"
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: rpz-b.lab.
    file: "%(dir)s/rpz-b.lab.zone"
    acl: lab
"""


def policy_zone(apex, serial, triggers):
    return "$ORIGIN %s\n$TTL 300\n@ SOA localhost. hostmaster.localhost. %d 1 1 86400 60\n@ NS localhost.\n%s" % (
        apex, serial, "".join("%s CNAME .\n" % t for t in triggers))


class TransferLabTest(unittest.TestCase):
    """Feeds kept by a primary: NSD (AXFR; it offers no IXFR here, so the
    IXFR asked for comes back as the whole zone) and Knot DNS (IXFR from
    its journal of zone file differences)."""

    def wait_nxdomain(self, name, v, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if dig("127.0.0.3", name, "A").status == "NXDOMAIN":
                return
            time.sleep(0.3)
        self.fail("%s is not NXDOMAIN through vigild after %ds:\n%s" % (name, timeout, v.read_log()))

    def test_a_feed_follows_its_primary_by_axfr_and_ixfr(self):
        d = tempfile.mkdtemp(prefix="vigil-xfr-")
        atexit.register(shutil.rmtree, d, True)
        nsd_dir = os.path.join(d, "nsd")
        knot_dir = os.path.join(d, "knot")
        os.makedirs(os.path.join(knot_dir, "db"))
        os.makedirs(nsd_dir)
        with open(os.path.join(nsd_dir, "nsd.conf"), "w") as f:
            f.write(NSD_CONF % {"dir": nsd_dir})
        with open(os.path.join(knot_dir, "knot.conf"), "w") as f:
            f.write(KNOT_CONF % {"dir": knot_dir})

        def write_zones(serial, a, b):
            with open(os.path.join(nsd_dir, "rpz-a.lab.zone"), "w") as f:
                f.write(policy_zone("rpz-a.lab.", serial, a))
            with open(os.path.join(knot_dir, "rpz-b.lab.zone"), "w") as f:
                f.write(policy_zone("rpz-b.lab.", serial, b))

        write_zones(1, ["www.zone-0.test"], ["mail.zone-0.test"])
        nsd = Process(["nsd", "-d", "-c", os.path.join(nsd_dir, "nsd.conf")], os.path.join(nsd_dir, "out.log"),
                      lambda: dig("127.0.60.1", "rpz-a.lab", "SOA").status == "NOERROR")
        atexit.register(nsd.stop)
        knot_bin = shutil.which("knotd") or "/usr/sbin/knotd"
        self.assertTrue(os.path.exists(knot_bin), "Knot DNS is missing (./dev.sh deps installs knot)")
        knot = Process([knot_bin, "-c", os.path.join(knot_dir, "knot.conf")], os.path.join(knot_dir, "out.log"),
                       lambda: dig("127.0.61.1", "rpz-b.lab", "SOA").status == "NOERROR")
        atexit.register(knot.stop)
        v = start_vigild(LAB, "127.0.0.3", """policy:
  feeds:
    - {name: from-nsd, file: %(d)s/a.rpz, zone: rpz-a.lab., primary: "127.0.60.1:53", refresh: 1s}
    - {name: from-knot, file: %(d)s/b.rpz, zone: rpz-b.lab., primary: "127.0.61.1:53", refresh: 1s}
""" % {"d": d})
        self.assertIn("from-nsd: empty until the first transfer from 127.0.60.1:53", v.read_log())
        self.wait_nxdomain("www.zone-0.test", v)
        self.wait_nxdomain("mail.zone-0.test", v)
        self.assertEqual(dig("127.0.0.3", "www.zone-1.test", "A").status, "NOERROR")

        # New versions on both primaries: NSD rereads its zone on SIGHUP,
        # Knot on zone-reload and keeps the difference for IXFR.
        write_zones(2, ["www.zone-0.test", "www.zone-1.test"], ["mail.zone-1.test"])
        nsd.proc.send_signal(signal.SIGHUP)
        r = subprocess.run(["knotc", "-s", os.path.join(knot_dir, "knot.sock"), "zone-reload", "rpz-b.lab."],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_nxdomain("www.zone-1.test", v)
        self.wait_nxdomain("mail.zone-1.test", v)
        self.assertEqual(dig("127.0.0.3", "mail.zone-0.test", "A").status, "NOERROR")  # deleted by the IXFR
        log = v.read_log()
        self.assertIn('"from-knot": serial 2 transferred from 127.0.61.1:53 rpz-b.lab. (IXFR', log)
        self.assertIn('"from-nsd": serial 2 transferred from 127.0.60.1:53 rpz-a.lab. (AXFR', log)
        with open(os.path.join(d, "b.rpz")) as f:
            kept = f.read()
        self.assertIn("mail.zone-1.test.rpz-b.lab.", kept)
        self.assertNotIn("mail.zone-0.test", kept)
        self.assertEqual(v.stop(), 0, v.read_log())


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with vigild")
    ap.add_argument("--lab", required=True, help="tests/lab")
    ARGS, rest = ap.parse_known_args()
    if os.geteuid() != 0:
        print("needs root (run it through lab.sh netns)", file=sys.stderr)
        return 77
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    sys.exit(main())
