#!/usr/bin/python3
"""Drive the operator's dashboard of a running clm-server in headless Chromium.

Debian's chromium, driven over the DevTools protocol with Debian's python3-websocket
(run with /usr/bin/python3: a python3 elsewhere on PATH may lack it). Chromium trusts the
server's certificate by its public key (--ignore-certificate-errors-spki-list), never by
ignoring certificate errors, and sends the admin key as HTTP Basic on every request
(Network.setExtraHTTPHeaders).

The run: load /admin/ and read the counts and the device table from the DOM; follow the
"next" link; search by name prefix through the form; open DEVICE from the table; click
its Disable button and wait for the page the POST leads to. A screenshot of each step
goes to ARTIFACTS. Prints one JSON object of what the pages showed, for the caller to
compare with the API; exit 0 when every step ran, 1 otherwise (the reason on stderr).

  dashboard.py --url https://127.0.0.1:PORT --admin-key-file FILE --cert PEM
               --device NAME --prefix PREFIX --artifacts DIR --profile DIR
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import websocket  # Debian python3-websocket

STEP_TIMEOUT = 30  # seconds any one page load or DevTools answer may take


class Failure(Exception):
    pass


def spki_sha256_base64(cert_pem_path):
    """Return the base64 SHA-256 of the certificate's SubjectPublicKeyInfo (DER)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_pem_path, "-noout", "-pubkey"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Browser:
    """One headless Chromium and a DevTools session with its first page."""

    def __init__(self, profile, spki):
        os.makedirs(profile, exist_ok=True)
        port_file = os.path.join(profile, "DevToolsActivePort")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [shutil.which("chromium") or "chromium", "--headless=new", "--remote-debugging-port=0",
                "--user-data-dir=" + profile, "--ignore-certificate-errors-spki-list=" + spki,
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--metrics-recording-only",
                "--no-proxy-server", "--window-size=1280,1000", "--hide-scrollbars", "about:blank"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
        self.log = open(os.path.join(profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.time() + STEP_TIMEOUT
        port = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failure("chromium exited with %d; see %s" % (self.proc.returncode, self.log.name))
            try:
                with open(port_file) as f:
                    port = int(f.readline())
                break
            except (OSError, ValueError):
                time.sleep(0.1)
        if port is None:
            raise Failure("chromium wrote no DevToolsActivePort within %d s" % STEP_TIMEOUT)
        pages = []
        while time.time() < deadline and not pages:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.1)
        if not pages:
            raise Failure("chromium shows no page target")
        # No Origin header: Chromium accepts such DevTools connections from local clients.
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=STEP_TIMEOUT,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.log_entries = []

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def _receive(self):
        message = json.loads(self.ws.recv())
        if "method" in message:
            if message["method"] == "Log.entryAdded":
                self.log_entries.append(message["params"]["entry"])
            elif message["method"] == "Runtime.exceptionThrown":
                self.log_entries.append({"level": "error", "text": json.dumps(message["params"])})
            else:
                self.events.append(message)
        return message

    def call(self, method, **params):
        """Send a DevTools command and return its result."""
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == my_id:
                if "error" in message:
                    raise Failure("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def wait_event(self, method):
        """Wait for the next event method (one already received counts)."""
        deadline = time.time() + STEP_TIMEOUT
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method:
                    del self.events[: i + 1]
                    return e["params"]
            if time.time() > deadline:
                raise Failure("no %s within %d s" % (method, STEP_TIMEOUT))
            self._receive()

    def evaluate(self, expression):
        """Return the value of a JavaScript expression in the page (the driver's, not the page's)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise Failure("evaluating %s: %s" % (expression, result["exceptionDetails"].get("text")))
        return result["result"].get("value")

    def navigate(self, url):
        self.events.clear()
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise Failure("loading %s: %s" % (url, result["errorText"]))
        self.wait_event("Page.loadEventFired")

    def click_and_wait(self, selector):
        """Click the element selector names and wait for the page it leads to."""
        self.events.clear()
        if not self.evaluate("(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); "
                             "return true; })()" % json.dumps(selector)):
            raise Failure("no element %s on %s" % (selector, self.evaluate("location.href")))
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path


# What a page shows, read from the DOM by the ids the dashboard gives its elements.
READ_OVERVIEW = """(() => {
  const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
  const rows = [...document.querySelectorAll('#devices tbody tr')]
    .filter(r => r.querySelector('a'))
    .map(r => ({name: r.querySelector('a').textContent, state: r.cells[1].textContent}));
  return {status_title: document.title,
          counts: Object.fromEntries(['total', 'valid', 'disabled', 'deleted', 'expired']
                                     .map(k => [k, text('count-' + k)])),
          buckets: Object.fromEntries(['expired', '15', '30', '60', '90', 'later']
                                      .map(k => [k, text('bucket-' + k)])),
          issued_total: text('issued-total'), rotated_total: text('rotated-total'),
          charts: document.querySelectorAll('svg').length,
          scripts: document.querySelectorAll('script').length,
          rows: rows, next: !!document.getElementById('next-page'), url: location.href};
})()"""

READ_DEVICE = """(() => {
  const text = id => { const e = document.getElementById(id); return e ? e.textContent : null; };
  return {name: text('device-name'), status: text('device-status'), deviceid: text('device-id'),
          notice: text('notice'), trail_rows: document.querySelectorAll('#trail tbody tr').length,
          disable_button: !!document.getElementById('disable-button'),
          enable_button: !!document.getElementById('enable-button'), url: location.href};
})()"""


def run(args):
    os.makedirs(args.artifacts, exist_ok=True)
    with open(args.admin_key_file) as f:
        admin_key = f.readline().strip()
    authorization = "Basic " + base64.b64encode(("secureware-clm:" + admin_key).encode()).decode()
    spki = spki_sha256_base64(args.cert)
    seen = {"screenshots": []}
    browser = Browser(args.profile, spki)
    try:
        browser.call("Page.enable")
        browser.call("Network.enable")
        browser.call("Log.enable")
        browser.call("Runtime.enable")
        browser.call("Network.setExtraHTTPHeaders", headers={"Authorization": authorization})
        browser.call("Emulation.setDeviceMetricsOverride", width=1280, height=1000, deviceScaleFactor=1, mobile=False)

        def shot(name):
            seen["screenshots"].append(browser.screenshot(os.path.join(args.artifacts, name)))

        browser.navigate(args.url + "/admin/")
        seen["overview"] = browser.evaluate(READ_OVERVIEW)
        shot("1-overview.png")

        browser.click_and_wait("#next-page")
        seen["page2"] = browser.evaluate(READ_OVERVIEW)
        shot("2-next-page.png")

        browser.navigate(args.url + "/admin/")
        browser.evaluate("document.getElementById('search-prefix').value = %s" % json.dumps(args.prefix))
        browser.click_and_wait("form.search button")
        seen["search"] = browser.evaluate(READ_OVERVIEW)
        shot("3-search.png")

        # The device, from its row in the table of the search.
        link = "#devices a[href=%s]" % json.dumps("/admin/device?name=" + urllib.parse.quote(args.device, safe=""))
        browser.click_and_wait(link)
        seen["device_before"] = browser.evaluate(READ_DEVICE)
        shot("4-device.png")

        browser.click_and_wait("#disable-button")
        seen["device_after"] = browser.evaluate(READ_DEVICE)
        shot("5-disabled.png")

        seen["console"] = [e for e in browser.log_entries if e.get("level") in ("error", "warning")]
    finally:
        browser.close()
    print(json.dumps(seen))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="https://HOST:PORT of the server")
    parser.add_argument("--admin-key-file", required=True)
    parser.add_argument("--cert", required=True, help="the server's TLS certificate (PEM), trusted by its key")
    parser.add_argument("--device", required=True, help="a valid device listed by the search for --prefix")
    parser.add_argument("--prefix", required=True, help="a device name prefix to search for")
    parser.add_argument("--artifacts", required=True, help="directory for the screenshots")
    parser.add_argument("--profile", required=True, help="Chromium's --user-data-dir")
    args = parser.parse_args()
    try:
        run(args)
    except (Failure, OSError, subprocess.CalledProcessError, websocket.WebSocketException) as e:
        print("dashboard.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
