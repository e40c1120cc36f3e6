#!/usr/bin/env python3
"""What an editor sends while someone types: the GPL-3 text re-checked with
one line changed per request, against the line cache.

Rows, each at concurrency 1 and 8, each over the same requests:
  floor         aspell -a started per request on the whole text, no server
  warm          fifogate, PROC_MODE=warm, no cache (WEB_CACHE_BYTES=0)
  cache         fifogate, per-request aspell, line cache on
  warm+cache    fifogate, warm, line cache on
and the cold case (every line new, so every line misses): warm with the
cache on against warm with it off, paired in rounds.

Every answer is checked against aspell's own answer to that text, computed
beforehand. Prints requests/s, p50/p99 latency and the ratios.
  editor_bench.py --web BIN --processor BIN [--requests N] [--workers N]
"""
import argparse
import concurrent.futures
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

GPL = "/usr/share/common-licenses/GPL-3"


def letters(n):
    """A word aspell does not know, different for every n."""
    s = ""
    while True:
        s = chr(97 + n % 26) + s
        n //= 26
        if n == 0:
            return "zq" + s


def aspell(text):
    return subprocess.run(["aspell", "-a"], input=text.encode(), capture_output=True,
                          check=True, env={**os.environ, "LC_ALL": "C.UTF-8"}).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, args, work, mode, cache_bytes):
        self.dir = tempfile.mkdtemp(dir=work)
        self.port = free_port()
        env = {**os.environ, "PROC_DIR": self.dir + "/run", "PROC_MODE": mode, "HOST": "127.0.0.1",
               "PORT": str(self.port), "WEB_CACHE_BYTES": str(cache_bytes), "WEB_THREADS": "32",
               "PROC_WAIT_MS": "60000", "LC_ALL": "C.UTF-8"}
        log = open(self.dir + "/log", "wb")
        self.procs = [subprocess.Popen([args.processor], env=env, stderr=log)
                      for _ in range(args.workers)]
        self.procs.append(subprocess.Popen([args.web], env=env, stderr=log))
        end = time.time() + 20
        while time.time() < end:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz?format=json", headers={"Accept": "application/json"})
                body = c.getresponse().read().decode()
                if f'"workers":{args.workers}' in body:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("the stack did not start:\n" + open(self.dir + "/log").read())

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def run_http(port, bodies, expected, conc):
    """Posts each body once, `conc` at a time over keep-alive connections."""
    lat, bad = [], 0
    lock = threading.Lock()
    it = iter(range(len(bodies)))

    def client():
        nonlocal bad
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            t = time.perf_counter()
            c.request("POST", "/process", body=bodies[i])
            r = c.getresponse()
            data = r.read()
            dt = time.perf_counter() - t
            with lock:
                lat.append(dt)
                if r.status != 200 or data != expected[i]:
                    bad += 1

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(conc) as ex:
        for f in [ex.submit(client) for _ in range(conc)]:
            f.result()
    return len(bodies) / (time.perf_counter() - t0), lat, bad


def run_floor(bodies, expected, conc):
    lat, bad = [], 0
    lock = threading.Lock()

    def one(i):
        nonlocal bad
        t = time.perf_counter()
        out = aspell(bodies[i].decode())
        with lock:
            lat.append(time.perf_counter() - t)
            bad += out != expected[i]

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(conc) as ex:
        list(ex.map(one, range(len(bodies))))
    return len(bodies) / (time.perf_counter() - t0), lat, bad


def pct(lat, p):
    s = sorted(lat)
    return s[min(len(s) - 1, int(p * len(s)))] * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--web", required=True)
    ap.add_argument("--processor", required=True)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--cold-rounds", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fifogate-editor-bench-")
    try:
        base = open(GPL).read().split("\n")
        n = args.requests
        # Request i: the text with line (i * 37 mod L) ending in a new word,
        # as a person typing changes one line at a time.
        bodies, expected = [], []
        for i in range(n):
            lines = list(base)
            k = (i * 37) % (len(lines) - 1)
            lines[k] = lines[k] + " " + letters(i)
            text = "\n".join(lines)
            bodies.append(text.encode())
        print(f"# {n} texts of {len(bodies[0])} bytes, {len(base)} lines; one line changed each",
              flush=True)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            expected = list(ex.map(lambda b: aspell(b.decode()), bodies))
        prime = "\n".join(base).encode()

        results = {}
        print(f"{'row':<12} {'c':>2} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} bad", flush=True)
        for c in (1, 8):
            rps, lat, bad = run_floor(bodies, expected, c)
            results[("floor", c)] = rps
            print(f"{'floor':<12} {c:>2} {rps:8.1f} {pct(lat, .5):8.2f} {pct(lat, .99):8.2f} {bad}",
                  flush=True)
            for name, mode, cache in (("warm", "warm", 0), ("cache", "per-request", 16 << 20),
                                      ("warm+cache", "warm", 16 << 20)):
                s = Stack(args, work, mode, cache)
                try:
                    # The document as the editor opened it: what the cache
                    # starts from (and warms the commands up).
                    run_http(s.port, [prime], [aspell(prime.decode())], 1)
                    rps, lat, bad = run_http(s.port, bodies, expected, c)
                finally:
                    s.stop()
                results[(name, c)] = rps
                print(f"{name:<12} {c:>2} {rps:8.1f} {pct(lat, .5):8.2f} {pct(lat, .99):8.2f} "
                      f"{bad}", flush=True)
            for name in ("cache", "warm+cache"):
                print(f"  c={c} {name}: {results[(name, c)] / results[('floor', c)]:.1f}x the "
                      f"floor, {results[(name, c)] / results[('warm', c)]:.1f}x warm without "
                      "cache", flush=True)

        # Cold: every line of every text is new to the cache (a word added
        # to each line), so the cache can only cost. Paired rounds, c=8.
        cold, cold_expected = [], []
        for i in range(40):
            text = "\n".join(line + " " + letters(100000 + i) if line else line for line in base)
            cold.append(text.encode())
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            cold_expected = list(ex.map(lambda b: aspell(b.decode()), cold))
        ratios = []
        for r in range(args.cold_rounds):
            pair = {}
            for cache in ((0, 16 << 20) if r % 2 == 0 else (16 << 20, 0)):
                s = Stack(args, work, "warm", cache)
                try:
                    run_http(s.port, [cold[0]], [cold_expected[0]], 1)
                    rps, _, bad = run_http(s.port, cold[1:], cold_expected[1:], 8)
                finally:
                    s.stop()
                if bad:
                    raise SystemExit(f"cold: {bad} wrong answers")
                pair[cache] = rps
            ratios.append(pair[16 << 20] / pair[0])
            print(f"cold round {r + 1}: cache on {pair[16 << 20]:.1f} req/s, off {pair[0]:.1f} "
                  f"req/s, on/off {ratios[-1]:.2f}", flush=True)
        print(f"cold (every line new), warm c=8: cache on/off median {statistics.median(ratios):.2f}"
              f" (rounds {min(ratios):.2f}-{max(ratios):.2f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
