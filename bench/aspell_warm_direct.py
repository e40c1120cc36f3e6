#!/usr/bin/env python3
"""What a running `aspell -a` needs to answer one line, with no fifogate:
the reference for warm mode's c=1 latency. Prints p50/p99 over N seconds.

    python3 bench/aspell_warm_direct.py [seconds] [line]
"""
import os
import statistics
import subprocess
import sys
import time

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
text = sys.argv[2] if len(sys.argv) > 2 else "This sentense has two speling mistakes."
if not text.strip() or "\n" in text:
    sys.exit("aspell_warm_direct: give one non-empty line (its answer is one block)")
line = ("^" + text + "\n").encode()  # '^': the line is text, as fifogate sends it

p = subprocess.Popen(["aspell", "-a"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     bufsize=0, env=dict(os.environ, LC_ALL="C.UTF-8"))
p.stdout.readline()  # the banner
times = []
end = time.monotonic() + secs
while time.monotonic() < end:
    start = time.perf_counter()
    p.stdin.write(line)
    answer = b""
    while not answer.endswith(b"\n\n"):  # one line, one blank-line-terminated block
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            sys.exit("aspell -a ended early")
        answer += chunk
    times.append((time.perf_counter() - start) * 1000)
p.stdin.close()
p.wait()
times.sort()
print(f"aspell -a, running, one line: n={len(times)} "
      f"p50_ms={statistics.median(times):.3f} p99_ms={times[int(len(times) * 0.99)]:.3f}")
