#!/usr/bin/python3
"""The operator's web interface in real headless Chromium, driven by Debian's chromium-driver over
WebDriver (plain HTTP + JSON from the standard library: no Python package from outside Debian).

Starts the real exaproxy (UI on 127.0.0.1:0, address read from <ready-file>.ui), an origin server
and traffic through the proxy, then checks that:
  * the overview graphs move while traffic flows,
  * the connections and plugins tabs list what the API lists,
  * the reload button reloads (the proxy logs reload.done) and a cross-origin POST is refused,
  * the console has no errors and the page does not overflow a phone's width.
Screenshots go to --artifacts (the build tree): look at them.

usage: ui_browser_test.py --binary build/host/exaproxy --artifacts DIR
"""

import argparse
import base64
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--no-proxy-server",
    "--window-size=1400,1000",
]

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(what, predicate, timeout=10.0, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # the page may still be loading
            last = e
        time.sleep(interval)
    raise Failure(f"timed out waiting for {what} (last: {last!r})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Peers: an origin server and the proxy


class OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.endswith("/foreign"):
            body = b"<!doctype html><title>another site</title><p>another origin</p>"
            kind = "text/html"
        elif self.path.endswith("/big"):
            body = b"x" * 200_000
            kind = "application/octet-stream"
        else:
            body = b"origin-ok\n"
            kind = "text/plain"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Proxy:
    def __init__(self, binary, workdir):
        self.dir = workdir
        conf = os.path.join(workdir, "conf.d")
        os.makedirs(conf)
        with open(os.path.join(conf, "00-exaproxy.conf"), "w") as f:
            f.write("[listener main]\naddress = 127.0.0.1:0\n\n[log]\nlevel = info\naccess_log = off\n")
        # A plugin entry: listed as configured (no runtime) or refused (not a real library);
        # optional, or the proxy would not start (plugins are required by default).
        open(os.path.join(conf, "50-demo.so"), "w").close()
        with open(os.path.join(conf, "50-demo.conf"), "w") as f:
            f.write("[plugin]\nrequired = no\n")
        self.ready = os.path.join(workdir, "ready")
        self.stderr_path = os.path.join(workdir, "stderr.log")
        self.stderr = open(self.stderr_path, "w")
        self.process = subprocess.Popen(
            [binary, "--conf-dir", conf, "--ready-file", self.ready, "--set", "ui.listen=127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        wait_for("the proxy's ready files",
                 lambda: os.path.exists(self.ready) and os.path.exists(self.ready + ".ui")
                 or self.process.poll() is not None, timeout=15)
        check(self.process.poll() is None, f"exaproxy exited: {self.log()}")
        with open(self.ready) as f:
            self.address = f.read().split()[0]
        with open(self.ready + ".ui") as f:
            self.ui = "http://" + f.read().strip()

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def api(self, path):
        with DIRECT.open(self.ui + path, timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.stderr.close()


class Traffic(threading.Thread):
    """Requests through the proxy until stopped: small bodies and a large one now and then."""

    def __init__(self, proxy, origin_url):
        super().__init__(daemon=True)
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": "http://" + proxy.address}))
        self.origin_url = origin_url
        self.running = True
        self.sent = 0

    def run(self):
        while self.running:
            path = "/big" if self.sent % 10 == 0 else "/"
            try:
                with self.opener.open(self.origin_url + path, timeout=5) as r:
                    r.read()
                self.sent += 1
            except Exception:
                time.sleep(0.1)
            time.sleep(0.03)


# ---------------------------------------------------------------------------------------------
# WebDriver over plain HTTP


class Browser:
    def __init__(self, workdir):
        self.port = free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_for("chromedriver", lambda: self.call("GET", "/status")["value"]["ready"], timeout=15)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": CHROME_ARGS + [f"--user-data-dir={os.path.join(workdir, 'chromium')}"],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}}
        self.session = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with DIRECT.open(req, timeout=60) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise Failure(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}")

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)["value"]

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})

    def click(self, css):
        element = self.s("POST", "/element", {"using": "css selector", "value": css})
        element_id = next(iter(element.values()))
        self.s("POST", f"/element/{element_id}/click", {})

    def window(self, width, height):
        self.s("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))
        print(f"  screenshot {path}")

    def console(self):
        """The browser console since the last call (chromedriver clears what it returns)."""
        return self.s("POST", "/se/log", {"type": "browser"})

    def quit(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        except Exception:
            pass
        self.driver.terminate()
        try:
            self.driver.wait(10)
        except subprocess.TimeoutExpired:
            self.driver.kill()


# ---------------------------------------------------------------------------------------------
# The checks


def severe(entries):
    return [e for e in entries if e.get("level") == "SEVERE"]


def table_rows(browser, table_id, column=0):
    return browser.js(
        "const t = document.getElementById(arguments[0]);"
        "if (!t) return null;"
        "return [...t.querySelectorAll('tbody tr')].filter(r => !r.querySelector('td.empty'))"
        "  .map(r => { const c = r.cells[arguments[1]]; const b = c.querySelector('b');"
        "              return (b || c).textContent; });", table_id, column)


def run(args):
    workdir = tempfile.mkdtemp(prefix="exaproxy-e2e-")
    os.makedirs(args.artifacts, exist_ok=True)
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OriginHandler)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    origin_url = f"http://127.0.0.1:{origin.server_address[1]}"
    proxy = browser = traffic = None
    idle = []
    try:
        proxy = Proxy(args.binary, workdir)
        print(f"proxy {proxy.address}, interface {proxy.ui}")
        traffic = Traffic(proxy, origin_url)
        traffic.start()
        browser = Browser(workdir)

        print("overview: graphs move while traffic flows")
        browser.go(proxy.ui + "/")
        wait_for("the tiles", lambda: browser.js(
            "return document.querySelectorAll('#overview-tiles .tile').length") == 6)
        wait_for("a non-zero requests/s point", lambda: float(browser.js(
            "return document.getElementById('chart-requests').dataset.last || '0'")) > 0, timeout=15)
        before = browser.js("const c = document.getElementById('chart-requests');"
                            "return [Number(c.dataset.points), c.toDataURL()];")
        time.sleep(2.5)
        after = browser.js("const c = document.getElementById('chart-requests');"
                           "return [Number(c.dataset.points), c.toDataURL()];")
        check(after[0] > before[0], f"no new graph points: {before[0]} -> {after[0]}")
        check(after[1] != before[1], "the requests graph did not change")
        tile_text = browser.js("return document.getElementById('overview-tiles').textContent")
        check("Requests / s" in tile_text, tile_text)
        browser.screenshot(os.path.join(args.artifacts, "ui-overview.png"))

        print("connections tab lists what the API lists")
        traffic.running = False
        traffic.join(10)
        host, port = proxy.address.rsplit(":", 1)
        for _ in range(3):  # half a request head: these stay in ReadingHead
            s = socket.create_connection((host, int(port)))
            s.sendall(b"GET " + origin_url.encode() + b"/ HTTP/1.1\r\n")
            idle.append(s)
        wait_for("3 connections in the API", lambda: proxy.api("/api/v1/connections")["total"] == 3)
        browser.go(proxy.ui + "/#connections")

        def same_connections():
            api = sorted(c["client"] for c in proxy.api("/api/v1/connections")["connections"])
            page = table_rows(browser, "connections-table", 0)
            return page is not None and sorted(page) == api and len(api) == 3
        wait_for("the connections table to match the API", same_connections)
        browser.screenshot(os.path.join(args.artifacts, "ui-connections.png"))

        print("plugins tab lists what the API lists")
        browser.go(proxy.ui + "/#plugins")
        api_plugins = [p["name"] for p in proxy.api("/api/v1/plugins")["plugins"]]
        check(api_plugins, "the API lists no plugin (50-demo.so is in conf.d)")
        wait_for("the plugins table to match the API",
                 lambda: table_rows(browser, "plugins-table", 0) == api_plugins)
        browser.screenshot(os.path.join(args.artifacts, "ui-plugins.png"))

        for tab in ("dns", "workers", "config", "log"):
            browser.go(proxy.ui + "/#" + tab)
            wait_for(f"the {tab} tab", lambda: browser.js(
                f"return document.getElementById('view-{tab}').childElementCount") > 0)
            time.sleep(0.3)
            browser.screenshot(os.path.join(args.artifacts, f"ui-{tab}.png"))

        print("the reload button reloads")
        browser.go(proxy.ui + "/#overview")
        wait_for("the page", lambda: browser.js(
            "return document.querySelectorAll('#overview-tiles .tile').length") == 6)
        browser.click("#reload-button")
        wait_for("reload.done in the proxy's log", lambda: "reload.done" in proxy.log())
        wait_for("the page to confirm the reload", lambda: "reloaded" in browser.js(
            "return document.getElementById('toast').textContent"))
        browser.screenshot(os.path.join(args.artifacts, "ui-reloaded.png"))

        print("phone width")
        browser.window(390, 844)
        time.sleep(1.5)
        overflow = browser.js("return document.documentElement.scrollWidth - window.innerWidth")
        check(overflow <= 0, f"the page is {overflow}px wider than a phone")
        browser.screenshot(os.path.join(args.artifacts, "ui-phone.png"))
        browser.go(proxy.ui + "/#connections")
        time.sleep(1)
        browser.screenshot(os.path.join(args.artifacts, "ui-phone-connections.png"))
        browser.window(1400, 1000)

        print("no console errors on the interface")
        errors = severe(browser.console())
        check(not errors, f"console errors: {json.dumps(errors, indent=1)}")

        print("a cross-origin POST is refused")
        reloads = proxy.log().count("reload.start")
        browser.go(origin_url + "/foreign")
        result = browser.js_async(
            "const done = arguments[arguments.length - 1];"
            "const url = arguments[0] + '/api/v1/reload';"
            "const out = {};"
            "fetch(url, {method: 'POST', mode: 'no-cors', body: 'x'})"
            "  .then(r => { out.simple = r.type; })"
            "  .catch(e => { out.simple = 'error ' + e; })"
            "  .then(() => fetch(url, {method: 'POST', headers: {'X-ExaProxy-CSRF': '1'}}))"
            "  .then(r => { out.custom = r.status; }, e => { out.custom = 'blocked'; })"
            "  .then(() => done(out));", proxy.ui)
        print(f"  from {origin_url}: {result}")
        check(result.get("custom") == "blocked", f"the preflighted POST was not blocked: {result}")
        time.sleep(1)
        check(proxy.log().count("reload.start") == reloads, "a cross-origin POST reloaded")
        refused = [r for r in proxy.api("/api/v1/log?level=warning")["records"]
                   if "ui.reload_refused" in r["message"] and origin_url in r["message"]]
        check(refused, "the interface did not log the refused cross-origin POST")
        try:
            req = urllib.request.Request(proxy.ui + "/api/v1/reload", method="POST", data=b"",
                                         headers={"X-ExaProxy-CSRF": "1", "Origin": "http://evil.example"})
            DIRECT.open(req, timeout=5)
            raise Failure("a foreign Origin was accepted")
        except urllib.error.HTTPError as e:
            check(e.code == 403, f"foreign Origin: {e.code}")
        check(proxy.process.poll() is None, "the proxy died")
        print("PASS")
        return 0
    finally:
        for s in idle:
            s.close()
        if traffic:
            traffic.running = False
        if browser:
            browser.quit()
        if proxy:
            proxy.stop()
            shutil.copy(proxy.stderr_path, os.path.join(args.artifacts, "exaproxy-stderr.log"))
        origin.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", required=True)
    args = parser.parse_args()
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            print(f"missing {tool}: installers/bootstrap-deps.sh test installs it", file=sys.stderr)
            return 1
    try:
        return run(args)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
