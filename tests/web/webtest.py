# SPDX-License-Identifier: MIT
"""Helpers shared by the dashboard tests: start `netscope ... --web PORT`, wait for it, make
HTTP requests (also malformed ones) with the standard library only, and report checks in the
'N passed, N failed' form."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Checks:
    """Counts checks; a failed one is printed and the run goes on."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def eq(self, got, want, what):
        return self.ok(got == want, f"{what}: got {got!r}, want {want!r}")

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


class Netscope:
    """One netscope process with the dashboard on a free port."""

    def __init__(self, exe, args, port=None, stdin=None, env=None, wait_url=True):
        self.port = port or free_port()
        self.args = [exe] + args + ["--web", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(self.args, stdin=stdin, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.stderr = []
        self.url = None
        if wait_url:
            self.url = self.wait_line("dashboard: ")
            if self.url is None:
                raise RuntimeError("netscope did not start: " + "".join(self.stderr))

    def wait_line(self, prefix, timeout=30):
        """Read stderr until a line starting with @prefix; return the rest of it."""
        end = time.time() + timeout
        while time.time() < end:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                return None
            self.stderr.append(line)
            if prefix in line:
                return line.split(prefix, 1)[1].strip()
        return None

    def wait_state(self, state, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            st, _, body = get(self.port, "/api/summary")
            if st == 200 and json.loads(body)["state"] == state:
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout=10):
        """SIGINT, as a user's Ctrl-C; returns (exit code, seconds it took)."""
        t0 = time.time()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            rc = "hung"
        rest = self.proc.stderr.read().decode(errors="replace")
        self.stderr.append(rest)
        return rc, time.time() - t0


def get(port, path, headers=None, method="GET", timeout=10):
    """(status, headers dict, body bytes) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def get_json(port, path, headers=None):
    st, _, body = get(port, path, headers)
    if st != 200:
        raise RuntimeError(f"{path}: HTTP {st}: {body[:200]!r}")
    return json.loads(body)


def raw(port, data, timeout=10):
    """Send raw bytes; return the status code of the reply (0 when closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        try:
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not buf.startswith(b"HTTP/"):
        return 0
    return int(buf.split(b" ", 2)[1])


def has_flag(exe, flag):
    """True when `exe --help` lists @flag (features that land separately, e.g. --anomalies)."""
    out = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout
    return flag in out


def tool(name, env_var):
    """Path of a helper passed in the environment by meson."""
    p = os.environ.get(env_var)
    if not p:
        raise RuntimeError(f"{env_var} is not set (run through meson test)")
    return p
