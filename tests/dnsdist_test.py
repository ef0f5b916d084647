#!/usr/bin/env python3
"""Scale-out behind dnsdist, as docker/compose.yaml's "scale" profile runs it,
without containers: Debian's dnsdist with docker/dnsdist/dnsdist.conf (the
same file) in front of two vigild processes, resolving the test lab.

Run inside the lab's network namespace (tests/lab/lab.sh netns ...):
  - every lab name is answered through dnsdist, with the lab's answers;
  - the queries are spread over both replicas, and consistent hashing sends
    a name back to the replica that has it cached (the second pass is all
    cache hits);
  - with one replica stopped, dnsdist's health check (id.server CH TXT)
    takes it out and every name is still answered, by the other one.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAB = os.path.join(HERE, "lab", "lab.sh")
DNSDIST_PORT = 5300
REPLICAS = [("127.0.0.1", 5301, 9161), ("127.0.0.1", 5302, 9162)]


def metric(port, name, labels=""):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{" if labels else name) and labels in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def settled(read, at_least, seconds=5):
    """A counter's value once it reaches at_least (or after `seconds`): vigild
    counts a query just after its answer leaves, so a scrape right after dig
    can be a moment early on a busy machine."""
    deadline = time.time() + seconds
    value = read()
    while value < at_least and time.time() < deadline:
        time.sleep(0.1)
        value = read()
    return value


def dig(name, qtype, port=DNSDIST_PORT, ttl=None):
    """(status, sorted answers); `ttl`, a list, gets the answers' smallest TTL."""
    r = subprocess.run(["dig", "+tries=3", "+time=2", "-p", str(port), "@127.0.0.1", name, qtype],
                       capture_output=True, text=True, timeout=30)
    status = re.search(r"status: (\w+)", r.stdout)
    lines = [l.split() for l in r.stdout.split(";; ANSWER SECTION:")[-1].split("\n\n")[0].splitlines()
             if l and not l.startswith(";") and l.split()[3] == qtype] if "ANSWER SECTION" in r.stdout else []
    if ttl is not None:
        ttl.append(min((int(l[1]) for l in lines), default=0))
    return (status.group(1) if status else "NO ANSWER"), sorted(l[-1] for l in lines)


def dnsdist_up():
    """How many replicas dnsdist's own /metrics (what the compose Prometheus
    scrapes) reports up; 0 while dnsdist is not answering."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:8083/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return 0
    return sum(1 for l in text.splitlines() if l.startswith("dnsdist_server_status{") and l.split()[-1] == "1")


class DnsdistScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="vigil-dnsdist-")
        subprocess.run([LAB, "start", os.path.join(cls.work, "lab"), "--zones", "2"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(cls.work, "lab", "manifest.jsonl")) as f:
            entries = [json.loads(l) for l in f]
        cls.names = [(e["qname"], sorted(e["answer"])) for e in entries
                     if e["qtype"] == "A" and e["rcode"] == "NOERROR" and e["answer"] and not e["chain"]]
        cls.vigild = []
        for i, (addr, port, metrics) in enumerate(REPLICAS):
            cfg = os.path.join(cls.work, "vigil-%d.yaml" % i)
            with open(cfg, "w") as f:
                f.write("server:\n  listen: [\"%s:%d\"]\n  threads: 1\n  identity: vigil-%d\n"
                        "resolver:\n  root_hints: %s/lab/root.hints\n  do_not_query: []\n"
                        "cache:\n  prefetch: false\nmetrics:\n  listen: \"127.0.0.1:%d\"\n"
                        "control:\n  socket: %s/control-%d.sock\n"
                        % (addr, port, i + 1, cls.work, metrics, cls.work, i))
            with open(os.path.join(cls.work, "vigild-%d.log" % i), "w") as log:
                cls.vigild.append(subprocess.Popen([os.path.join(ARGS.bin, "vigild"), "-c", cfg],
                                                   stderr=log, stdout=log, stdin=subprocess.DEVNULL))
        env = dict(os.environ, DNSDIST_LISTEN="127.0.0.1:%d" % DNSDIST_PORT,
                   VIGIL_REPLICAS=",".join("%s:%d" % (a, p) for a, p, _ in REPLICAS), DNSDIST_WEB="127.0.0.1:8083")
        cls.dnsdist_log = open(os.path.join(cls.work, "dnsdist.log"), "w")
        cls.dnsdist = subprocess.Popen(["dnsdist", "--supervised", "--disable-syslog", "-C",
                                        os.path.join(ROOT, "docker", "dnsdist", "dnsdist.conf")],
                                       env=env, stdout=cls.dnsdist_log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        # Until dnsdist's health checks mark both replicas up it sends every
        # name to the one it has, and the second pass would then miss.
        deadline = time.time() + 20
        while time.time() < deadline and dnsdist_up() < len(REPLICAS):
            time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        cls.dnsdist.terminate()
        cls.dnsdist.wait(10)
        cls.dnsdist_log.close()
        for p in cls.vigild:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        subprocess.run([LAB, "stop", os.path.join(cls.work, "lab")], stdout=subprocess.DEVNULL)
        shutil.rmtree(cls.work, True)

    def a_queries(self, metrics_port):
        return metric(metrics_port, "vigil_queries_by_qtype_total", 'qtype="A"')

    def test_spread_hashing_and_failover(self):
        self.assertGreaterEqual(len(self.names), 20, "the lab has too few names for a spread")
        self.assertEqual(dnsdist_up(), len(REPLICAS), "dnsdist's /metrics does not show every replica up")
        # 1. Every name through dnsdist, with the lab's answer.
        before = [self.a_queries(m) for _, _, m in REPLICAS]
        started = time.time()
        ttls = []
        for name, expected in self.names:
            self.assertEqual(dig(name, "A", ttl=ttls), ("NOERROR", expected), name)
        settled(lambda: sum(self.a_queries(m) for _, _, m in REPLICAS), sum(before) + len(self.names))
        share = [self.a_queries(m) - b for (_, _, m), b in zip(REPLICAS, before)]
        self.assertGreaterEqual(sum(share), len(self.names), share)  # more if dig retried a slow one
        print("\nA queries per replica: %s for %d names" % (share, len(self.names)), file=sys.stderr)
        for s in share:  # the hash ring splits the names: neither replica gets nearly all
            self.assertGreaterEqual(s, len(self.names) * 0.2, share)
        # 2. The same names again: each goes to the replica that cached it,
        # so nothing is resolved again.
        def count(cache):
            return sum(metric(m, "vigil_responses_by_cache_total", 'cache="%s"' % cache) for _, _, m in REPLICAS)
        hits, misses = count("hit"), count("miss")
        for name, expected in self.names:
            self.assertEqual(dig(name, "A"), ("NOERROR", expected), name)
        # Only a name whose TTL ran out since the first pass (the lab has
        # 5-second ones; a loaded machine is slow) may be resolved again.
        expired = sum(1 for t in ttls if t <= time.time() - started + 1)
        served = settled(lambda: count("hit") + count("miss"), hits + misses + len(self.names))
        self.assertGreaterEqual(served - hits - misses, len(self.names))
        self.assertLessEqual(count("miss") - misses, expired, ttls)
        self.assertGreaterEqual(count("hit") - hits, len(self.names) - expired, ttls)
        # 3. One replica stops: dnsdist's health check takes it out, and
        # every name is answered by the other.
        self.vigild[0].send_signal(signal.SIGTERM)
        self.assertEqual(self.vigild[0].wait(10), 0)
        time.sleep(3)  # two failed checks one second apart
        survivor = self.a_queries(REPLICAS[1][2])
        for name, expected in self.names:
            self.assertEqual(dig(name, "A"), ("NOERROR", expected), name)
        self.assertGreaterEqual(
            settled(lambda: self.a_queries(REPLICAS[1][2]), survivor + len(self.names)) - survivor, len(self.names))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="directory with vigild")
    ARGS, rest = parser.parse_known_args()
    if shutil.which("dnsdist") is None:
        print("dnsdist is not installed; skipping", file=sys.stderr)
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
