#!/usr/bin/env python3
"""Slow-client load on fifogate's HTTP edge (standard library only).

Opens, to 127.0.0.1:PORT only:
  * N "slow head" connections: each sends
    "POST /process HTTP/1.1\\r\\nHost: x\\r\\nX-A: " and then one byte a second;
  * N "slow body" connections: each sends a whole head with
    "Content-Length: 10000" and then the body, one byte a second.
When the server closes one of them (EOF, reset, or an answer such as 408), it
is counted and a new one is opened in its place, so N of each stay open as far
as the server lets them. The open ones are counted every second.

Meanwhile a "normal" client sends POST /process with the body "helo wrld\\n"
at --normal-rate requests/s, each on a fresh connection (Connection: close)
with its own deadline (--normal-timeout, covering connect, send and the whole
answer). New normal requests are started for --seconds; then the ones still
in flight are waited for (each at most its deadline) while the slow
connections are kept up, and everything is closed. So the run ends within
--seconds + --normal-timeout + about a second.

Prints one "key=value" per line:
  slow_head_open_median, slow_head_open_min, slow_body_open_median,
  slow_body_open_min      open slow connections, over the per-second samples
                          of the --seconds window
  slow_closed_by_server   slow connections the server closed (all of them);
                          also split: slow_head_closed_by_server,
                          slow_body_closed_by_server, and
                          slow_close_status_<code> for those closed with an answer
  slow_connect_errors     failed attempts to open a slow connection
  normal_requests         normal requests started (= ok + non200 + errors)
  normal_ok               answered 200
  normal_non200           answered with another status (normal_status_<code>)
  normal_errors           no complete answer: timeout, refused, reset, EOF
                          (normal_timeouts of them hit the deadline)
  normal_p50_ms, normal_p99_ms, normal_max_ms
                          time of every normal request until its answer or its
                          failure (a timed-out one counts as the deadline)
  normal_ok_p50_ms, normal_ok_p99_ms   the same, of the 200s only
"""

import argparse
import asyncio
import math
import random
import resource
import statistics
import sys
import time

HOST = "127.0.0.1"  # the only address this tool ever connects to
SLOW_HEAD = b"POST /process HTTP/1.1\r\nHost: x\r\nX-A: "
SLOW_BODY = b"POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n"
NORMAL_BODY = b"helo wrld\n"
NORMAL_REQ = (
    b"POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\n"
    b"Content-Length: " + str(len(NORMAL_BODY)).encode() + b"\r\n\r\n" + NORMAL_BODY
)
CONNECT_TIMEOUT = 5.0


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < 1 << 20:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def status_of(data):
    """The status code of an answer's first line, or None."""
    line = data.split(b"\r\n", 1)[0].split(b" ")
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        return int(line[1])
    return None


class Stats:
    def __init__(self):
        self.open = {"head": 0, "body": 0}
        self.closed = {"head": 0, "body": 0}
        self.close_status = {}
        self.connect_errors = 0
        self.samples = {"head": [], "body": []}
        self.normal = []  # (latency_s, status or None, timed_out)


def abort(writer):
    try:
        writer.transport.abort()
    except Exception:
        pass


async def slow_conn(kind, stats, stop):
    """One slow connection slot: keeps a connection open, reopening it when the server closes it."""
    first, trickle = (SLOW_HEAD, b"a") if kind == "head" else (SLOW_BODY, b"a")
    while not stop.is_set():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, ARGS.port), CONNECT_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except (OSError, asyncio.TimeoutError):
            stats.connect_errors += 1
            await asyncio.sleep(0.5 + random.random())
            continue
        stats.open[kind] += 1
        read = None
        try:
            writer.write(first)
            # Spread the slots' ticks over the second.
            delay = random.random()
            read = asyncio.ensure_future(reader.read(4096))
            closed_by_server = False
            while not stop.is_set():
                done, _ = await asyncio.wait({read}, timeout=delay)
                delay = 1.0
                if done:  # EOF, reset, or an answer: the server is done with it
                    closed_by_server = True
                    try:
                        data = read.result()
                    except (OSError, asyncio.IncompleteReadError):
                        data = b""
                    code = status_of(data) if data else None
                    if code is not None:
                        stats.close_status[code] = stats.close_status.get(code, 0) + 1
                    break
                try:
                    writer.write(trickle)
                    await asyncio.wait_for(writer.drain(), 5.0)
                except (OSError, asyncio.TimeoutError):
                    closed_by_server = True
                    break
            if closed_by_server:
                stats.closed[kind] += 1
        finally:
            stats.open[kind] -= 1
            if read is not None and not read.done():
                read.cancel()
            abort(writer)


async def read_answer(reader):
    """Reads one answer; returns its status (None when it is not complete)."""
    head = await reader.readuntil(b"\r\n\r\n")
    code = status_of(head)
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        await reader.readexactly(length)
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()  # until the server closes
    return code


async def normal_request(stats):
    t0 = time.monotonic()
    writer = None
    code, timed_out = None, False

    async def go():
        nonlocal writer
        reader, writer = await asyncio.open_connection(HOST, ARGS.port)
        writer.write(NORMAL_REQ)
        await writer.drain()
        return await read_answer(reader)

    try:
        code = await asyncio.wait_for(go(), ARGS.normal_timeout)
    except asyncio.TimeoutError:
        timed_out = True
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        if writer is not None:
            abort(writer)
    stats.normal.append((time.monotonic() - t0, code, timed_out))


async def sampler(stats, stop):
    t0 = time.monotonic()
    n = 0
    while not stop.is_set():
        n += 1
        await asyncio.sleep(max(0.0, t0 + n - time.monotonic()))
        if n > ARGS.seconds:
            break
        stats.samples["head"].append(stats.open["head"])
        stats.samples["body"].append(stats.open["body"])


async def main():
    stats = Stats()
    stop = asyncio.Event()
    t0 = time.monotonic()
    slow = [asyncio.ensure_future(slow_conn("head", stats, stop)) for _ in range(ARGS.slow_head)]
    slow += [asyncio.ensure_future(slow_conn("body", stats, stop)) for _ in range(ARGS.slow_body)]
    samp = asyncio.ensure_future(sampler(stats, stop))

    # The normal client starts after a second, when the slow connections have been opened.
    normal = []
    if ARGS.normal_rate > 0:
        await asyncio.sleep(min(1.0, ARGS.seconds / 10))
        start = time.monotonic()
        i = 0
        while True:
            at = start + i / ARGS.normal_rate
            if at >= t0 + ARGS.seconds:
                break
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            normal.append(asyncio.ensure_future(normal_request(stats)))
            i += 1
    await asyncio.sleep(max(0.0, t0 + ARGS.seconds - time.monotonic()))
    await samp
    if normal:
        await asyncio.gather(*normal)  # each bounded by --normal-timeout
    stop.set()
    for t in slow:
        t.cancel()
    await asyncio.gather(*slow, return_exceptions=True)
    report(stats, time.monotonic() - t0)


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, math.ceil(p / 100.0 * len(v)) - 1))  # nearest rank
    return v[k]


def num(x):
    if isinstance(x, float):
        if x != x:
            return "nan"
        return str(int(x)) if x.is_integer() else "%.1f" % x
    return str(x)


def report(stats, elapsed):
    out = []

    def kv(k, v):
        out.append("%s=%s" % (k, num(v)))

    for kind in ("head", "body"):
        s = stats.samples[kind]
        kv("slow_%s_open_median" % kind, float(statistics.median(s)) if s else float("nan"))
        kv("slow_%s_open_min" % kind, min(s) if s else float("nan"))
    kv("slow_closed_by_server", stats.closed["head"] + stats.closed["body"])
    kv("slow_head_closed_by_server", stats.closed["head"])
    kv("slow_body_closed_by_server", stats.closed["body"])
    for code in sorted(stats.close_status):
        kv("slow_close_status_%d" % code, stats.close_status[code])
    kv("slow_connect_errors", stats.connect_errors)
    n = stats.normal
    ok = [lat for lat, code, _ in n if code == 200]
    non200 = [code for _, code, _ in n if code is not None and code != 200]
    kv("normal_requests", len(n))
    kv("normal_ok", len(ok))
    kv("normal_non200", len(non200))
    for code in sorted(set(non200)):
        kv("normal_status_%d" % code, non200.count(code))
    kv("normal_errors", sum(1 for _, code, _ in n if code is None))
    kv("normal_timeouts", sum(1 for _, _, to in n if to))
    lats = [lat * 1000 for lat, _, _ in n]
    kv("normal_p50_ms", round(pct(lats, 50), 1))
    kv("normal_p99_ms", round(pct(lats, 99), 1))
    kv("normal_max_ms", round(max(lats), 1) if lats else float("nan"))
    kv("normal_ok_p50_ms", round(pct([x * 1000 for x in ok], 50), 1))
    kv("normal_ok_p99_ms", round(pct([x * 1000 for x in ok], 99), 1))
    kv("slow_clients_elapsed_s", round(elapsed, 1))
    print("\n".join(out), flush=True)


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--slow-head", type=int, default=1000, metavar="N")
    ap.add_argument("--slow-body", type=int, default=1000, metavar="N")
    ap.add_argument("--seconds", type=float, default=30, metavar="S")
    ap.add_argument("--normal-rate", type=float, default=20, metavar="R", help="requests/s of the normal client")
    ap.add_argument("--normal-timeout", type=float, default=10, metavar="S", help="deadline of one normal request")
    a = ap.parse_args()
    if a.seconds <= 0 or a.slow_head < 0 or a.slow_body < 0 or a.normal_rate < 0 or a.normal_timeout <= 0:
        ap.error("--seconds and --normal-timeout must be > 0; counts and rate >= 0")
    return a


if __name__ == "__main__":
    ARGS = parse()
    nofile = raise_nofile()
    need = ARGS.slow_head + ARGS.slow_body + int(ARGS.normal_rate * ARGS.normal_timeout) + 64
    if nofile < need:
        print("slow_clients: RLIMIT_NOFILE is %d, below the %d this run may need" % (nofile, need), file=sys.stderr)
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
