#!/usr/bin/env python3
"""A flood of uncached names beside a well-behaved client (issue 20 §3), on
the test lab, in a private network namespace:

  lab.sh netns python3 tests/resolver_flood_test.py --bin BUILD/server --lab tests/lab
        [--seconds 12] [--qps 2000] [--measure]

vigild runs with RLIMIT_NOFILE 1024 (systemd's default soft limit, here as
the hard limit too). One client (127.9.0.1, four source ports) sends --qps
queries a second for random names under silent.test., a stub zone whose
only server never answers, so every query is a resolution that waits out
its time budget. Meanwhile another client (127.0.0.1) looks up 50 lab names
that are not cached, with dig. Checks: all 50 get their expected answer, the
flood's excess is shed and counted, vigild never holds more descriptors than
its limit, and its resident memory stays under MAX_RSS_MB.

--measure prints the numbers without asserting (docs/running.md gives them
for this build and the one before the limits existed).
"""
import argparse
import concurrent.futures
import os
import random
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import resolver_lab_test as lab_test  # noqa: E402  (the lab, vigild, dig)

ARGS = None
MAX_RSS_MB = 200  # documented in docs/running.md ("Resolution limits")

CONFIG = """
server:
  listen: ["127.0.0.1:53"]
  threads: 2
control:
  socket: %(dir)s/control.sock
resolver:
  root_hints: %(run)s/root.hints
  do_not_query: []
  stub_zones:
    - {name: silent.test., servers: [127.3.0.10]}   # the lab's blackhole
intent:
  enabled: false
"""


def encode(name, qid):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack("!HH", 1, 1)


class Flood:
    """--qps queries a second of random names under silent.test. from
    127.9.0.1 over four sockets; replies are counted by RCODE."""

    def __init__(self, qps, seconds):
        self.qps, self.seconds = qps, seconds
        self.sent = 0
        self.replies = {}
        self.socks = []
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.9.0.1", 0))
            s.connect(("127.0.0.1", 53))
            s.setblocking(False)
            self.socks.append(s)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.send), threading.Thread(target=self.receive)]

    def start(self):
        for t in self.threads:
            t.start()

    def send(self):
        rng = random.Random(20)
        t0 = time.time()
        while not self.stop.is_set() and time.time() - t0 < self.seconds:
            due = int((time.time() - t0) * self.qps)
            while self.sent < due:
                name = "%08x.silent.test." % rng.getrandbits(32)
                try:
                    self.socks[self.sent % 4].send(encode(name, rng.getrandbits(16)))
                except BlockingIOError:
                    pass
                self.sent += 1
            time.sleep(0.005)

    def receive(self):
        import selectors
        sel = selectors.DefaultSelector()
        for s in self.socks:
            sel.register(s, selectors.EVENT_READ)
        while not self.stop.is_set():
            for key, _ in sel.select(0.2):
                try:
                    data = key.fileobj.recv(4096)
                except BlockingIOError:
                    continue
                if len(data) >= 4:
                    rcode = data[3] & 0x0F
                    self.replies[rcode] = self.replies.get(rcode, 0) + 1

    def join(self):
        self.threads[0].join()
        self.stop.set()
        self.threads[1].join()


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class FloodTest(unittest.TestCase):
    def test_a_flooding_client_does_not_starve_another(self):
        lab = lab_test.Lab(6)
        d = lab_test.Vigild(lab, CONFIG, prefix=("prlimit", "--nofile=1024:1024"))
        try:
            self.run_flood(lab, d)
        finally:
            rc = d.stop()
            if not ARGS.measure:
                self.assertEqual(rc, 0, d.read_log())

    def run_flood(self, lab, d):
        pid = d.proc.pid
        # The well-behaved client's 50 names: A lookups the cache has not seen.
        entries = [e for e in lab.manifest if e["qtype"] == "A" and len(e["answer"]) < 10][:50]
        self.assertEqual(len(entries), 50)
        base_rss = rss_mb(pid)
        # Under AddressSanitizer vigild serves a few times slower: at 2,000 qps
        # the kernel would drop queries before vigild sees them (the other
        # client's too), which tests the machine, not the limits. The limits
        # are hit all the same at a quarter of the rate.
        qps = ARGS.qps // 4 if "ASAN_OPTIONS" in os.environ else ARGS.qps
        flood = Flood(qps, ARGS.seconds)
        flood.start()
        peak = {"rss": base_rss, "fds": fds(pid)}
        watching = threading.Event()

        def watch():
            while not watching.is_set():
                try:
                    peak["rss"] = max(peak["rss"], rss_mb(pid))
                    peak["fds"] = max(peak["fds"], fds(pid))
                except OSError:
                    return
                time.sleep(0.1)

        watcher = threading.Thread(target=watch)
        watcher.start()
        time.sleep(min(4, ARGS.seconds / 3))  # the flood fills what it can first

        def ask(entry):
            a = lab_test.Answer(lab_test.dig("@127.0.0.1", "+tries=3", entry["qname"], "A").stdout)
            return entry, a

        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(ask, entries))
        flood.join()
        watching.set()
        watcher.join()
        good = [e["qname"] for e, a in results if a.status == e["rcode"] and
                sorted(d for _, t, d in a.answer if t == "A") == sorted(e["answer"])]
        status = {}
        r = d.ctl("status")
        for line in r.stdout.splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                status[k] = v
        print("\nflood: %d queries sent in %d s from one client, %s replies by RCODE; "
              "well-behaved client: %d/50 answered right; vigild RSS %.0f MB at start, %.0f MB at most; "
              "descriptors at most %d (limit 1024); shed: client %s, thread %s; socket budget %s, "
              "no socket %s" % (flood.sent, ARGS.seconds, flood.replies, len(good), base_rss, peak["rss"],
                                peak["fds"], status.get("resolutions_shed_client_limit", "-"),
                                status.get("resolutions_shed_thread_limit", "-"),
                                status.get("upstream_socket_budget", "-"), status.get("upstream_no_socket", "-")),
              file=sys.stderr)
        if ARGS.measure:
            return
        bad = ["%s: %s %s" % (e["qname"], a.status, a.ede) for e, a in results if e["qname"] not in good]
        self.assertEqual(len(good), 50, "\n".join(bad[:10]))
        self.assertGreater(int(status["resolutions_shed_client_limit"]), 0)
        self.assertLess(peak["fds"], 1024)
        if "ASAN_OPTIONS" not in os.environ:  # ASan's shadow memory and quarantine are not vigild's
            self.assertLess(peak["rss"], MAX_RSS_MB)
        # The flood's shed queries were answered (SERVFAIL), not left to time out.
        self.assertGreater(flood.replies.get(2, 0), flood.sent // 2)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="directory with vigild and vigilctl")
    ap.add_argument("--lab", required=True, help="tests/lab")
    ap.add_argument("--seconds", type=int, default=12)
    ap.add_argument("--qps", type=int, default=2000)
    ap.add_argument("--measure", action="store_true", help="print the numbers, assert nothing")
    ARGS, rest = ap.parse_known_args()
    lab_test.ARGS = argparse.Namespace(bin=ARGS.bin, lab=ARGS.lab, zones=6)
    if os.geteuid() != 0:
        print("needs root (run it through lab.sh netns)", file=sys.stderr)
        return 77
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    sys.exit(main())
