#!/usr/bin/env python3
"""A LanguageTool client nobody here wrote, against fifogate's /v2/check.

Starts the real fifogate-processor (aspell -a) and fifogate-web on
127.0.0.1 in a private directory, installs the npm package gramma at the
version package-lock.json pins (npm ci into a temp dir: verified by npm
against the lock's integrity hashes, nothing installed globally), points it
at the web, and checks that what gramma reports is exactly what aspell
itself reports, word for word and suggestion for suggestion:
  - `gramma listen -pn TEXT`: a plain text (form field `text`);
  - `gramma check -pnm FILE`: Markdown, which gramma sends as `data`
    annotations: words in code and link targets are not checked, and the
    positions are of the whole file;
  - a text with no mistakes.
Exit 0 passed, 1 failed, 77 skipped (node or npm missing and CI is not
"true"; under CI=true a missing client fails).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_REPLACEMENTS = 30  # gramma shows at most this many suggestions


class Failed(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aspell_misses(lines, lang="en_US"):
    """aspell's own answer: [(word, [suggestions])] in order, for `lines`."""
    text = "".join("^" + line + "\n" for line in lines)
    out = subprocess.run(["aspell", "-a", "--lang=" + lang], input=text.encode(),
                         capture_output=True, check=True, timeout=30,
                         env={**os.environ, "LC_ALL": "C.UTF-8"}).stdout.decode()
    misses = []
    for line in out.splitlines():
        if line.startswith("& "):
            head, _, sugg = line.partition(": ")
            misses.append((head.split(" ")[1], sugg.split(", ")[:MAX_REPLACEMENTS]))
        elif line.startswith("# "):
            misses.append((line.split(" ")[1], []))
    return misses


def gramma_misses(output):
    """What gramma printed: [(word, [suggestions])] in order."""
    misses = []
    for block in output.split("---------------------------------")[1:]:
        word, sugg = None, []
        for line in block.splitlines():
            if line.startswith("Word: "):
                word = line[len("Word: "):]
            elif line.startswith("Suggested fix: "):
                parts = line[len("Suggested fix: "):].split("  ")
                sugg = [p.split(") ", 1)[1] for p in parts if ") " in p]
        if word is None:
            raise Failed(f"a mistake without a word in gramma's output:\n{block}")
        misses.append((word, sugg))
    return misses


def wait_healthy(port, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise Failed("the web did not become healthy")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--web", required=True)
    ap.add_argument("--processor", required=True)
    args = ap.parse_args()
    ci = os.environ.get("CI") == "true"
    if not shutil.which("node") or not shutil.which("npm"):
        log("node or npm is missing (scripts/deps.sh test installs them)")
        return 1 if ci else SKIP

    work = tempfile.mkdtemp(prefix="fifogate-gramma-")
    procs = []
    try:
        client = os.path.join(work, "client")
        os.makedirs(client)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(HERE, f), client)
        log("npm ci (gramma, as package-lock.json pins it)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                        "--loglevel=error"], cwd=client, check=True, timeout=300)
        gramma = [shutil.which("node"), os.path.join(client, "node_modules", "gramma", "src",
                                                     "cli.js")]

        port = free_port()
        env = {**os.environ, "PROC_DIR": os.path.join(work, "run"), "HOST": "127.0.0.1",
               "PORT": str(port), "LC_ALL": "C.UTF-8"}
        for exe, name in ((args.processor, "processor"), (args.web, "web")):
            logf = open(os.path.join(work, name + ".log"), "wb")
            procs.append(subprocess.Popen([exe], env=env, stdout=logf, stderr=logf))
        wait_healthy(port)

        # gramma keeps its settings under $HOME; its once-a-day update check
        # is marked done, so it talks to nothing but the web.
        home = os.path.join(work, "home")
        conf = os.path.join(home, ".config", "gramma")
        os.makedirs(conf)
        with open(os.path.join(conf, ".update"), "w") as f:
            f.write(str(int(time.time() * 1000)))
        genv = {**os.environ, "HOME": home, "NO_COLOR": "1"}

        def run_gramma(*argv, cwd=work):
            r = subprocess.run(gramma + list(argv), cwd=cwd, env=genv, capture_output=True,
                               timeout=60)
            return r.returncode, r.stdout.decode(), r.stderr.decode()

        rc, out, err = run_gramma("config", "api_url", f"http://127.0.0.1:{port}/v2/check", "-g")
        if rc != 0:
            raise Failed(f"gramma config failed ({rc}): {out}{err}")

        text = "This sentense has a speling mistake, and 😀 an emoji before a wrod."
        rc, out, err = run_gramma("listen", "-pn", text)
        want = aspell_misses([text])
        got = gramma_misses(out)
        if rc != 1 or got != want or not want:
            raise Failed(f"gramma listen: exit {rc}, reported {got}, aspell says {want}\n{out}{err}")
        log(f"listen: {len(got)} mistakes, as aspell: {[w for w, _ in got]}")

        doc = ("# Titel\n\nSome *emphasised* txet with `cdoe` and a [lnk](http://exmaple.org).\n"
               "\n- itme 😀 wrod\n- one more lien\n")
        with open(os.path.join(work, "doc.md"), "w") as f:
            f.write(doc)
        # What the Markdown's text is, markup left out.
        text_lines = ["Titel", "Some emphasised txet with  and a lnk.", "itme 😀 wrod",
                      "one more lien"]
        rc, out, err = run_gramma("check", "-pnm", "doc.md")
        want = aspell_misses(text_lines)
        got = gramma_misses(out)
        words = [w for w, _ in got]
        if rc != 1 or got != want or "cdoe" in words or "exmaple" in words:
            raise Failed(f"gramma check -m: exit {rc}, reported {got}, aspell says {want}\n"
                         f"{out}{err}")
        log(f"check -m: {len(got)} mistakes, as aspell: {words}")

        rc, out, err = run_gramma("listen", "-pn", "Nothing is wrong with this sentence.")
        if rc != 0 or "No mistakes found" not in out:
            raise Failed(f"gramma on a clean text: exit {rc}\n{out}{err}")
        log("a clean text: no mistakes")

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        if 'route="/v2/check"' not in metrics:
            raise Failed("the web's metrics do not count /v2/check")
        log("passed")
        return 0
    except Failed as e:
        log(f"FAILED: {e}")
        for name in ("web", "processor"):
            path = os.path.join(work, name + ".log")
            if os.path.exists(path):
                print(f"--- {name} log ---\n" + open(path, errors="replace").read()[-4000:])
        return 1
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
