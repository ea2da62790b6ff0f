#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The dashboard in a real browser: Debian's chromium, driven by playwright-core from npm
(pinned in browser/package-lock.json, installed under the build directory on first use; no
browser download). Two netscope processes: one reading a never-ending realtime stream
(pcap-pipe --realtime --loop | netscope -r -), one a finished capture of scripted packets
whose file name is markup too. browser/browser.mjs does the clicking and checking and saves
dashboard.png in the build directory."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import Netscope, has_flag, tool  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NETSCOPE = tool("netscope", "NETSCOPE")
GEN = tool("gen-web-pcap", "GEN_WEB_PCAP")
PIPE = tool("pcap-pipe", "PCAP_PIPE")
BUILD = os.environ.get("WORKDIR", tempfile.gettempdir())
CHROMIUM = "/usr/bin/chromium"


def fail(msg):
    print(f"FAIL: {msg}\nbrowser: 0 passed, 1 failed", flush=True)
    sys.exit(1)


def npm_install():
    """playwright-core at the pinned version into BUILD/npm, once per lock file."""
    dest = os.path.join(BUILD, "npm")
    lock = os.path.join(HERE, "browser", "package-lock.json")
    stamp = os.path.join(dest, ".lock-sha256")
    want = hashlib.sha256(open(lock, "rb").read()).hexdigest()
    if os.path.exists(stamp) and open(stamp).read() == want:
        return dest
    os.makedirs(dest, exist_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, "browser", f), dest)
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=dest,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        fail("npm ci of playwright-core: " + p.stdout + p.stderr)
    open(stamp, "w").write(want)
    return dest


def main():
    if not os.access(CHROMIUM, os.X_OK):
        fail(f"{CHROMIUM} is missing: tools/install-deps.sh test installs it")
    if shutil.which("node") is None or shutil.which("npm") is None:
        fail("node and npm are needed for the browser test")
    npm = npm_install()
    shutil.copy(os.path.join(HERE, "browser", "browser.mjs"), npm)
    work = tempfile.mkdtemp(prefix="web-browser-", dir=BUILD)
    mix = os.path.join(work, "mix.pcap")
    # 60 s of traffic at 300 packets/s over 12 TCP connections, looped; a SYN flood of
    # 400/s in its first eight seconds raises an alert
    subprocess.run([GEN, "mix", mix, "60", "300", "12", "600", "400"], check=True)
    xss_name = "<img src=x onerror=window.__xss=5>"
    xss = os.path.join(work, xss_name + ".pcap")
    subprocess.run([GEN, "xss", xss], check=True)

    feeder = subprocess.Popen([PIPE, "--realtime", "--loop", mix], stdout=subprocess.PIPE)
    anomalies = has_flag(NETSCOPE, "--anomalies")
    live = Netscope(NETSCOPE, ["-r", "-", "-q"] + (["--anomalies"] if anomalies else []),
                    stdin=feeder.stdout)
    feeder.stdout.close()
    done = Netscope(NETSCOPE, ["-r", xss, "-q", "--linger"])
    done.wait_line("dashboard still serving")
    env = dict(os.environ, LIVE_URL=live.url, XSS_URL=done.url, XSS_NAME=xss_name,
               SCREENSHOT=os.path.join(BUILD, "dashboard.png"), CHROMIUM=CHROMIUM,
               CHROME_PROFILE=os.path.join(work, "profile"),
               EXPECT_ALERTS="1" if anomalies else "")
    try:
        p = subprocess.run(["node", os.path.join(npm, "browser.mjs")], env=env, timeout=240)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        print("FAIL: browser run timed out\nbrowser: 0 passed, 1 failed")
        rc = 1
    for ns in (live, done):
        code, _ = ns.stop()
        if code != 0:
            print(f"FAIL: netscope exit status {code}: {''.join(ns.stderr)[-2000:]}")
            rc = 1
    feeder.wait(10)
    shutil.rmtree(work, ignore_errors=True)
    print(f"screenshot: {env['SCREENSHOT']}")
    sys.exit(rc)


main()
