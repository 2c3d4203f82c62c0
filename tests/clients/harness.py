"""Starts and stops a groupd binary for the client-library tests.

The binary comes from $GROUPD_BIN (ctest sets it to the built target) and falls back to
build/server/groupd in the source tree. Each server listens on an ephemeral port chosen by the
kernel and reports it through --ports-file; the harness waits for that file and for a PING answer
before handing the server to a test.

Every server started here is stopped by GroupdServer.stop(), by an atexit hook when a test run ends
without calling it, and by the kernel (PR_SET_PDEATHSIG) when the test process itself is killed, so
no groupd outlives its test.
"""

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(SOURCE_ROOT, "build", "server", "groupd")
STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

_live_servers = []


def groupd_bin():
    return os.environ.get("GROUPD_BIN") or DEFAULT_BIN


def _die_with_parent():
    # Runs in the child between fork and exec: ask the kernel to SIGKILL groupd when the test
    # process dies, even if that death is a SIGKILL that no Python handler can see.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass


class GroupdServer:
    """One groupd process on 127.0.0.1. REQUIRES: start() before port is read."""

    def __init__(self, extra_args=()):
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.peer_port = None
        self.host = "127.0.0.1"
        self._tmpdir = None
        self._stderr = None

    def start(self):
        binary = groupd_bin()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(
                f"groupd binary not found or not executable: {binary} "
                "(set GROUPD_BIN or build the 'groupd' target)")
        self._tmpdir = tempfile.TemporaryDirectory(prefix="groupd-clients-")
        ports_file = os.path.join(self._tmpdir.name, "ports")
        self._stderr = open(os.path.join(self._tmpdir.name, "stderr"), "w+b")
        args = [binary, "--port", "0", "--ports-file", ports_file, "--loglevel", "off"]
        args += self.extra_args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, preexec_fn=_die_with_parent)
        _live_servers.append(self)
        try:
            self._wait_for_ports(ports_file)
            self._wait_for_ping()
        except BaseException:
            self.stop()
            raise
        return self

    def _startup_failure(self, what):
        self._stderr.flush()
        self._stderr.seek(0)
        err = self._stderr.read()[-4000:].decode("utf-8", "replace")
        code = self.proc.poll()
        state = f"exited with status {code}" if code is not None else "still running"
        return RuntimeError(f"groupd {what} ({state}); stderr:\n{err}")

    def _wait_for_ports(self, ports_file):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise self._startup_failure("exited before writing its ports file")
            try:
                with open(ports_file, "r", encoding="ascii") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            # The line is complete only once its newline is there; a partial write is retried.
            if text.endswith("\n"):
                fields = text.split()
                if len(fields) != 2:
                    raise RuntimeError(f"malformed ports file {ports_file!r}: {text!r}")
                self.port, self.peer_port = int(fields[0]), int(fields[1])
                if self.port <= 0:
                    raise RuntimeError(f"ports file names port {self.port}")
                return
            time.sleep(0.02)
        raise self._startup_failure(f"wrote no ports file within {STARTUP_TIMEOUT_S:.0f} s")

    def _wait_for_ping(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error = None
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1.0) as s:
                    s.sendall(b"*1\r\n$4\r\nPING\r\n")
                    reply = b""
                    while not reply.endswith(b"\r\n"):
                        chunk = s.recv(64)
                        if not chunk:
                            break
                        reply += chunk
                    if reply == b"+PONG\r\n":
                        return
                    last_error = f"PING answered {reply!r}"
            except OSError as e:
                last_error = str(e)
            time.sleep(0.05)
        raise self._startup_failure(f"did not answer PING within {STARTUP_TIMEOUT_S:.0f} s "
                                    f"(last: {last_error})")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
        if self in _live_servers:
            _live_servers.remove(self)


def _stop_all():
    for server in list(_live_servers):
        try:
            server.stop()
        except Exception as e:  # Keep stopping the others.
            print(f"harness: failed to stop groupd: {e}", file=sys.stderr)


def _on_signal(signum, frame):
    # Turn SIGTERM/SIGINT (ctest's timeout, Ctrl-C) into a normal exit so atexit stops servers.
    raise SystemExit(128 + signum)


atexit.register(_stop_all)
signal.signal(signal.SIGTERM, _on_signal)
