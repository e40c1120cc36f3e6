#!/usr/bin/env python3
"""The page in a real browser: headless Chromium, driven over WebDriver.

Starts the real fifogate-processor and fifogate-web on 127.0.0.1 in a
private directory, then, as a person would: types text with misspellings,
checks it with Ctrl+Enter, finds the underlined words and the count, opens
a word's suggestions and replaces it, shows the raw `aspell -a` output,
looks at the page on a phone-sized screen, stops the worker and sees the
error view (spinner and disabled button while it waits). Screenshots go to
--artifacts (page.png is the README's picture).

Only the standard library: it speaks WebDriver's HTTP+JSON to chromedriver
(Debian's chromium-driver) itself. Exit 0 passed, 1 failed, 77 skipped
(Chromium missing and CI is not "true"; under CI=true a missing browser fails).
"""
import argparse
import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element reference key
TEXT = "This sentense has a speling mistake.\nThe scond line is fine, and the thrid too."
MISSPELLED = {"sentense", "speling", "scond", "thrid"}


class Failed(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, cond, timeout=15.0, every=0.05):
    end = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > end:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def http(method, url, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Driver:
    """The few WebDriver commands the test needs."""

    def __init__(self, port, session):
        self.base = f"http://127.0.0.1:{port}/session/{session}"

    def cmd(self, method, path, body=None):
        status, raw = http(method, self.base + path, body if body is not None else ({} if method == "POST" else None))
        value = json.loads(raw or b"{}").get("value")
        if status != 200:
            raise Failed(f"WebDriver {method} {path}: HTTP {status}: {value}")
        return value

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, el):
        self.cmd("POST", f"/element/{el}/click")

    def type(self, el, keys):
        self.cmd("POST", f"/element/{el}/value", {"text": keys})

    def find_all(self, css):
        return [e[ELEMENT] for e in self.cmd("POST", "/elements", {"using": "css selector", "value": css})]

    def text(self, el):
        return self.cmd("GET", f"/element/{el}/text")

    def prop(self, el, name):
        return self.cmd("GET", f"/element/{el}/property/{name}")

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))
        log(f"screenshot: {path}")

    def viewport(self, width, height, mobile=False):
        self.cmd("POST", "/goog/cdp/execute", {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}})


def start(exe, env, log_path, what):
    """Starts `exe` with --ready-fd and returns it once it says it serves,
    with the line it said."""
    r, w = os.pipe()
    proc = subprocess.Popen([exe, f"--ready-fd={w}"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"),
                            pass_fds=(w,))
    os.close(w)
    said = b""
    end = time.monotonic() + 15
    try:
        while b"\n" not in said:
            left = end - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                raise Failed(f"timed out after 15 s waiting for {what}: {read(log_path)}")
            chunk = os.read(r, 256)
            if not chunk:
                raise Failed(f"{what} exited before it was ready: {read(log_path)}")
            said += chunk
    finally:
        os.close(r)
    return proc, said.decode().split("\n")[0]


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def start_stack(args, work, procs, name="", **extra):
    """A processor and a web in `work`; returns the web's URL."""
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, PROC_DIR=work, PROC_SLOTS="1",
               PROC_WAIT_MS="3000", HOST="127.0.0.1", PORT="0", HOME=work, **extra)
    plog, wlog = f"{work}/processor.log", f"{work}/web.log"
    procs["processor" + name], _ = start(args.processor, env, plog, "the processor")
    procs["web" + name], said = start(args.web, env, wlog, "the web")
    m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)/", said)
    if not m:
        raise Failed(f"the web said {said!r}")
    site = f"http://127.0.0.1:{m.group(1)}/"
    log(f"web at {site}")
    return site


def run(args, work, procs):
    site = start_stack(args, work, procs)
    wlog = f"{work}/web.log"

    dport = free_port()
    # Its own process group, so the cleanup also reaches the Chromium it starts.
    procs["chromedriver"] = subprocess.Popen(
        [args.chromedriver, f"--port={dport}", "--allowed-ips=127.0.0.1", f"--log-path={work}/chromedriver.log"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    wait_for("chromedriver", lambda: _ready(dport))
    caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
        "binary": args.chromium,
        "args": CHROMIUM_FLAGS + [f"--user-data-dir={work}/profile"]}}}}
    status, raw = http("POST", f"http://127.0.0.1:{dport}/session", caps, timeout=60)
    value = json.loads(raw).get("value", {})
    if status != 200:
        raise Failed(f"chromedriver could not start Chromium: {value}")
    d = Driver(dport, value["sessionId"])
    procs["session"] = d
    d.viewport(1000, 860)

    d.cmd("POST", "/url", {"url": site})
    wait_for("the page", lambda: d.js("return document.readyState") == "complete")
    wait_for("the dictionary list", lambda: d.js("return document.querySelectorAll('#lang option').length") > 1)
    area = d.find("#text")
    d.type(area, TEXT.replace("\n", "\ue007"))
    assert_eq(d.js("return document.getElementById('text').value"), TEXT, "the text typed")

    log("Ctrl+Enter checks")
    d.type(area, "\ue009\ue007\ue000")  # Control down, Enter, release the modifiers
    wait_for("underlined words", lambda: d.js("return document.querySelectorAll('#rendered .miss').length") > 0)
    words = set(d.js("return [...document.querySelectorAll('#rendered .miss')].map(b => b.textContent)"))
    assert_eq(words, MISSPELLED, "the underlined words")
    assert_eq(d.js("return document.getElementById('count').textContent"), "4 misspellings", "the count")
    assert_eq(d.js("return document.getElementById('rendered').textContent"), TEXT,
              "the answer shows the text itself")

    log("a word's suggestions, then a replacement")
    d.click(d.find("#rendered .miss:nth-of-type(2)"))  # "speling"
    wait_for("the suggestions", lambda: d.js("return !document.getElementById('suggest').hidden"))
    suggestions = d.js("return [...document.querySelectorAll('#suggestList button')].map(b => b.textContent)")
    if "spelling" not in suggestions:
        raise Failed(f"'spelling' is not among the suggestions for 'speling': {suggestions}")
    assert_eq(d.js("return document.activeElement.textContent"), suggestions[0],
              "focus moves to the first suggestion")
    d.screenshot(f"{args.artifacts}/page.png")
    pick = d.js("return [...document.querySelectorAll('#suggestList button')].find(b => b.textContent === 'spelling')")
    d.click(pick[ELEMENT])
    wait_for("the replacement", lambda: "spelling mistake" in d.js("return document.getElementById('text').value"))
    assert_eq(d.js("return document.getElementById('text').value"), TEXT.replace("speling", "spelling"),
              "the text after the replacement")
    assert_eq(d.js("return document.getElementById('count').textContent"), "3 misspellings", "the count after")
    assert_eq(set(d.js("return [...document.querySelectorAll('#rendered .miss')].map(b => b.textContent)")),
              MISSPELLED - {"speling"}, "the underlined words after the replacement")

    log("keyboard: Enter on a word opens its suggestions, Escape closes them")
    d.js("document.querySelector('#rendered .miss').focus()")
    d.type(d.find("#rendered .miss"), "\ue007")
    wait_for("the suggestions by keyboard", lambda: d.js("return !document.getElementById('suggest').hidden"))
    d.type(d.js("return document.activeElement")[ELEMENT], "\ue00c")  # Escape
    wait_for("the suggestions to close", lambda: d.js("return document.getElementById('suggest').hidden"))

    log("the raw aspell -a output, streamed as server-sent events")
    d.click(d.find("#rawToggle"))
    raw = wait_for("the raw output", lambda: (lambda t: t if t.startswith("@(#)") else None)(
        d.js("const r = document.getElementById('raw');"
             "return r.getAttribute('aria-busy') === 'false' ? r.textContent : ''")))
    for word in MISSPELLED - {"speling"}:
        if f"& {word} " not in raw:
            raise Failed(f"the raw output lacks '& {word} ': {raw[:300]}")
    d.screenshot(f"{args.artifacts}/page-raw.png")

    log("a phone-sized screen")
    d.viewport(390, 844, mobile=True)
    overflow = d.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        raise Failed(f"the page is {overflow}px wider than a 390px phone screen")
    d.screenshot(f"{args.artifacts}/page-phone.png")
    d.viewport(1000, 860)

    log("the worker goes down: the error view")
    procs["processor"].send_signal(signal.SIGTERM)
    procs["processor"].wait(timeout=10)
    wait_for("/healthz to say 503", lambda: http("GET", site + "healthz")[0] == 503)
    d.click(d.find("#go"))
    # PROC_WAIT_MS=3000: the web waits that long for a worker, and the page shows it is waiting.
    wait_for("the spinner", lambda: d.js(
        "return document.getElementById('go').disabled && !document.getElementById('spinner').hidden"),
        timeout=2.5, every=0.01)
    wait_for("the error view", lambda: d.js("return !document.getElementById('error').hidden"))
    err = d.js("return document.getElementById('error').innerText")
    for want in ("HTTP 503", "no worker is running", "Exit code"):
        if want not in err:
            raise Failed(f"the error view lacks '{want}': {err}")
    assert_eq(d.js("return document.getElementById('go').disabled"), False, "the button after the answer")
    assert_eq(d.js("return document.getElementById('answer').hidden"), True, "the old answer is gone")
    d.screenshot(f"{args.artifacts}/page-error.png")

    wlog_text = read(wlog)
    for line in ("POST /check 200", "POST /process 200", "POST /check 503"):
        if line not in wlog_text:
            raise Failed(f"the web's access log lacks '{line}'")

    noscript_scenario(args, f"{work}/noscript", procs, d)
    token_scenario(args, f"{work}/token", procs, d)


def noscript_scenario(args, work, procs, d):
    """Scripts off: the form posts itself and the answer is the page with the result."""
    site = start_stack(args, work, procs, "-noscript")
    wlog = f"{work}/web.log"
    log("scripts off: the form is sent by the browser and the result is a page")
    d.viewport(1000, 860)
    d.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.setScriptExecutionDisabled",
                                        "params": {"value": True}})
    try:
        d.cmd("POST", "/url", {"url": site})
        area = d.find("#text")
        assert_eq(d.prop(area, "value"), "", "the text box of a fresh page")
        assert_eq(d.find_all("#served"), [], "no result before a check")
        d.type(area, TEXT)
        d.click(d.find("#go"))
        wait_for("the result page", lambda: d.find_all("#served"))
        count = d.text(d.find("#served .count"))
        assert_eq(count, f"{len(MISSPELLED)} misspellings", "the count on the result page")
        marked = {d.text(e) for e in d.find_all("#served mark.miss")}
        assert_eq(marked, MISSPELLED, "the words marked on the result page")
        items = [d.text(e) for e in d.find_all("#served .served-list li")]
        if not any(i.startswith("speling") and "spelling" in i for i in items):
            raise Failed(f"no suggestion 'spelling' for 'speling' in {items}")
        # The text is still in the box (a browser sends its lines with CRLF).
        assert_eq(d.prop(d.find("#text"), "value").replace("\r\n", "\n"), TEXT, "the text kept in the box")
        d.screenshot(f"{args.artifacts}/page-noscript.png")
        d.viewport(375, 740, mobile=True)
        width = d.cmd("POST", "/goog/cdp/execute", {"cmd": "Runtime.evaluate", "params": {
            "expression": "document.documentElement.scrollWidth", "returnByValue": True}})
        if width["result"]["value"] > 375:
            raise Failed(f"the result page is wider than a phone: {width['result']['value']} px")
        d.screenshot(f"{args.artifacts}/page-noscript-phone.png")
    finally:
        d.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.setScriptExecutionDisabled",
                                            "params": {"value": False}})
        d.viewport(1000, 860)
    if 'POST /check 200' not in read(wlog) or 'from="field text"' not in read(wlog):
        raise Failed("the web's access log lacks the form's check")

    log("scripts on: the result page's own check replaces the served result")
    d.cmd("POST", "/url", {"url": site})
    wait_for("the page", lambda: d.js("return document.readyState") == "complete")
    d.type(d.find("#text"), "helo wrld")
    d.js("document.getElementById('form').submit()")  # the browser's own submission, not the script's
    wait_for("the result page", lambda: d.find_all("#served"))
    wait_for("the page", lambda: d.js("return document.readyState") == "complete")
    assert_eq(d.text(d.find("#served .count")), "2 misspellings", "the served count")
    d.click(d.find("#go"))
    wait_for("the check", lambda: d.js("return document.getElementById('count').textContent") == "2 misspellings")
    assert_eq(d.js("return document.getElementById('served')"), None, "no served result beside the script's")


TOKEN = "s3cret-page-token"


def token_scenario(args, work, procs, d):
    """WEB_TOKEN set: the page asks for the token once and keeps it for the tab."""
    site = start_stack(args, work, procs, "-token", WEB_TOKEN=TOKEN)
    log("a server with WEB_TOKEN: the page asks for the token")
    d.cmd("POST", "/url", {"url": site})
    wait_for("the page", lambda: d.js("return document.readyState") == "complete")
    wait_for("the token form", lambda: d.js("return !document.getElementById('auth').hidden"))
    assert_eq(d.js("return document.activeElement.id"), "token", "focus on the token field")
    d.screenshot(f"{args.artifacts}/page-token.png")
    d.type(d.find("#token"), "wrong-token\ue007")
    # The page uses it at once (for the dictionary list), is refused, and asks again.
    wait_for("the token form again", lambda: "did not accept" in d.js(
        "return document.getElementById('auth').hidden ? '' : document.getElementById('authMsg').textContent"))
    area = d.find("#text")
    d.type(area, "helo")
    d.click(d.find("#go"))
    wait_for("a refused check", lambda: d.js("return !document.getElementById('error').hidden"))
    if "HTTP 401" not in d.js("return document.getElementById('error').innerText"):
        raise Failed("a check without the token does not show the 401")
    assert_eq(d.js("return sessionStorage.getItem('fifogate-token')"), None, "a refused token is forgotten")

    d.type(d.find("#token"), TOKEN + "\ue007")
    wait_for("the dictionary list", lambda: d.js("return document.querySelectorAll('#lang option').length") > 1)
    d.click(d.find("#go"))
    wait_for("the check", lambda: d.js("return document.getElementById('count').textContent") == "1 misspelling")
    assert_eq(d.js("return sessionStorage.getItem('fifogate-token')"), TOKEN, "the token kept for the tab")

    log("a reload keeps the token; a new tab's session would not")
    d.cmd("POST", "/refresh")
    wait_for("the page", lambda: d.js("return document.readyState") == "complete")
    wait_for("the dictionary list", lambda: d.js("return document.querySelectorAll('#lang option').length") > 1)
    assert_eq(d.js("return document.getElementById('auth').hidden"), True, "no token form after a reload")
    wlog_text = read(f"{work}/web.log")
    for line in ("GET /languages 401", "POST /check 401", "POST /check 200", "GET /languages 200"):
        if line not in wlog_text:
            raise Failed(f"the web's access log lacks '{line}'")
    if TOKEN in wlog_text:
        raise Failed("the token appears in the web's log")


def _ready(port):
    try:
        status, raw = http("GET", f"http://127.0.0.1:{port}/status", timeout=2)
        return status == 200 and json.loads(raw)["value"]["ready"]
    except (OSError, ValueError, KeyError):
        return False


def assert_eq(got, want, what):
    if got != want:
        raise Failed(f"{what}: got {got!r}, want {want!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--web", required=True)
    p.add_argument("--processor", required=True)
    p.add_argument("--artifacts", required=True)
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    args = p.parse_args()

    missing = [x for x in (args.chromium, args.chromedriver) if not os.access(x, os.X_OK)]
    if missing:
        why = f"browser test: {', '.join(missing)} not found (Debian packages chromium, chromium-driver: scripts/deps.sh test)"
        if os.environ.get("CI") == "true":
            print(f"FAILED: {why}; CI=true does not skip it", flush=True)
            return 1
        print(f"SKIPPED: {why}", flush=True)
        return SKIP

    os.makedirs(args.artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fifogate-browser-")
    procs = {}
    t0 = time.monotonic()
    try:
        run(args, work, procs)
        log(f"PASSED in {time.monotonic() - t0:.1f} s")
        return 0
    except Failed as e:
        log(f"FAILED: {e}")
        for name in ("web.log", "processor.log"):
            tail = read(f"{work}/{name}")[-3000:]
            print(f"--- {name} (end) ---\n{tail}", flush=True)
        return 1
    finally:
        cleanup(procs)
        shutil.rmtree(work, ignore_errors=True)


def cleanup(procs):
    session = procs.pop("session", None)
    if session:
        try:
            session.cmd("DELETE", "")  # closes Chromium
        except (Failed, OSError):
            pass
    for name, proc in reversed(list(procs.items())):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if name == "chromedriver":
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # a Chromium left behind
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
