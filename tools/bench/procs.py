"""Every process the benchmark starts, and how it is stopped.

Supervisor tracks each child it spawns; stop_all() ends them (SIGTERM, then SIGKILL after a grace
period) and the orchestrator calls it in a `finally`, on Ctrl-C and on SIGTERM. Children also get
PR_SET_PDEATHSIG, so the kernel kills them if the orchestrator itself dies without cleaning up.
Servers bind 127.0.0.1 only. Pinning uses taskset when it is installed.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time

from resp import Resp, RespError

PR_SET_PDEATHSIG = 1


def _child_setup():
    # Runs between fork and exec: die with the orchestrator, whatever kills it.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def free_port():
    """A port that was free a moment ago (Redis cannot pick its own and report it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Supervisor:
    def __init__(self, workdir, pin=True):
        self.workdir = workdir
        self.procs = []
        self.taskset = shutil.which("taskset") if pin else None

    def spawn(self, args, cpu=None, name="proc", stdin=subprocess.DEVNULL,
              stdout=None, stderr=None, text=True):
        if cpu is not None and self.taskset:
            args = [self.taskset, "-c", str(cpu)] + list(args)
        log = None
        if stdout is None or stderr is None:
            log = open(os.path.join(self.workdir, "%s.log" % name), "ab")
        proc = subprocess.Popen(
            args, stdin=stdin,
            stdout=stdout if stdout is not None else log,
            stderr=stderr if stderr is not None else log,
            preexec_fn=_child_setup, text=text if (stdout == subprocess.PIPE or
                                                   stdin == subprocess.PIPE) else None)
        if log is not None:
            log.close()
        proc.bench_name = name
        self.procs.append(proc)
        return proc

    def stop(self, proc, grace=5.0):
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            except OSError:
                pass
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if f:
                    f.close()
            except OSError:
                pass
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self):
        for proc in list(reversed(self.procs)):
            try:
                self.stop(proc, grace=3.0)
            except Exception:  # noqa: BLE001 - cleanup must go on.
                try:
                    proc.kill()
                except OSError:
                    pass
        self.procs.clear()


def wait_ping(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server on port %d exited with %s" % (port, proc.returncode))
        try:
            with Resp(port, timeout=2.0) as r:
                if r.call("PING") == "PONG":
                    return
        except (OSError, RespError, ConnectionError):
            pass
        time.sleep(0.05)
    raise RuntimeError("server on port %d did not answer PING" % port)


class Server:
    """A running server: groupd node or redis-server."""

    kind = "?"

    def __init__(self, sup, proc, port):
        self.sup = sup
        self.proc = proc
        self.port = port
        self._ctl = None

    @property
    def pid(self):
        return self.proc.pid

    def cpu_seconds(self):
        """CPU time (user + system) the server has used so far, from /proc."""
        with open("/proc/%d/stat" % self.pid) as f:
            # Fields after the command name (which may hold spaces): utime, stime are 14, 15.
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def ctl(self):
        """A persistent control connection."""
        if self._ctl is None:
            self._ctl = Resp(self.port, timeout=120)
        return self._ctl

    def call(self, *args):
        return self.ctl().call(*args)

    def used_memory(self):
        return int(self.ctl().info("memory")["used_memory"])

    def dbsize(self):
        return int(self.call("DBSIZE"))

    def stop(self):
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        self.sup.stop(self.proc, grace=10.0)


class Groupd(Server):
    kind = "groupd"

    def __init__(self, sup, binary, name, cpu=None, extra=(), wrapper=(), ready_timeout=30.0):
        ports_file = os.path.join(sup.workdir, "%s.ports" % name)
        if os.path.exists(ports_file):
            os.unlink(ports_file)
        args = list(wrapper) + [binary, "--port", "0", "--ports-file", ports_file,
                                "--loglevel", "off", "--node-name", name] + list(extra)
        proc = sup.spawn(args, cpu=cpu, name=name)
        deadline = time.monotonic() + ready_timeout
        ports = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("groupd %s exited with %s (see %s.log)" %
                                   (name, proc.returncode, name))
            try:
                with open(ports_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    ports = [int(x) for x in text.split()]
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        if not ports:
            sup.stop(proc)
            raise RuntimeError("groupd %s did not write its ports file" % name)
        super().__init__(sup, proc, ports[0])
        self.peer_port = ports[1]
        self.name = name
        wait_ping(self.port, ready_timeout, proc)

    def regcount(self):
        return int(self.call("GREGCOUNT"))

    def nodes(self):
        return self.call("GNODES") or []


class Redis(Server):
    kind = "redis"

    def __init__(self, sup, binary, name, cpu=None, extra=(), wrapper=(), ready_timeout=30.0):
        last = None
        for _ in range(5):
            port = free_port()
            rdir = os.path.join(sup.workdir, name)
            os.makedirs(rdir, exist_ok=True)
            args = list(wrapper) + [binary, "--port", str(port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no", "--dir", rdir,
                                    "--daemonize", "no", "--loglevel", "warning",
                                    "--logfile", "",
                                    # A primary would wait 5 s for more replicas before a
                                    # diskless full sync; start it at once.
                                    "--repl-diskless-sync-delay", "0"] + list(extra)
            proc = sup.spawn(args, cpu=cpu, name=name)
            try:
                wait_ping(port, ready_timeout, proc)
            except RuntimeError as e:  # Port taken in the meantime: try another.
                last = e
                sup.stop(proc)
                continue
            super().__init__(sup, proc, port)
            self.name = name
            return
        raise RuntimeError("redis-server would not start: %s" % last)


class NullServer(Server):
    """`loadgen null`: answers +OK to every request and does nothing else (null_server.cc). Run
    with Redis's command and tool, its rate is what any server could reach on this machine."""

    kind = "null"

    def __init__(self, sup, loadgen_binary, name, cpu=None):
        proc = sup.spawn([loadgen_binary, "null", "--listen", "0"], cpu=cpu, name=name,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._holder = Holder(sup, proc)
        super().__init__(sup, proc, int(self._holder.line(30).split()[1]))

    def stop(self):
        self._holder.release()


class Loadgen:
    """Runs the C++ load generator (tools/loadgen) on the client core."""

    def __init__(self, sup, binary, cpu=None):
        self.sup = sup
        self.binary = binary
        self.cpu = cpu

    def run(self, mode, args, timeout=600, cpu="client"):
        cpu = self.cpu if cpu == "client" else cpu
        proc = self.sup.spawn([self.binary, mode] + list(args), cpu=cpu, name="loadgen",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.sup.stop(proc)
            raise RuntimeError("loadgen %s timed out" % mode)
        self.sup.stop(proc)
        if proc.returncode != 0:
            raise RuntimeError("loadgen %s failed (%s): %s" % (mode, proc.returncode,
                                                               err.strip()[-500:]))
        return json.loads(out.strip().splitlines()[-1])

    def start(self, mode, args, name="holder"):
        """Starts a long-lived loadgen (load --hold, bench --hold, gate); returns a Holder."""
        proc = self.sup.spawn([self.binary, mode] + list(args), cpu=self.cpu, name=name,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return Holder(self.sup, proc)

    def hold(self, args, timeout=600, name="holder"):
        """load --hold: returns (Holder, report) once everything is loaded."""
        h = self.start("load", ["--hold"] + list(args), name=name)
        return h, h.report(timeout)


class Holder:
    def __init__(self, sup, proc):
        self.sup = sup
        self.proc = proc

    def line(self, timeout):
        """The next stdout line (blocking up to timeout)."""
        import select
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: no output within %.0f s" % (self.proc.bench_name, timeout))
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if r:
                ln = self.proc.stdout.readline()
                if not ln:
                    raise RuntimeError("%s exited (%s); see its log" %
                                       (self.proc.bench_name, self.proc.wait()))
                return ln.strip()
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited (%s); see its log" %
                                   (self.proc.bench_name, self.proc.returncode))

    def report(self, timeout=600):
        return json.loads(self.line(timeout))

    def send(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def release(self, timeout=60):
        """Closes stdin: the loadgen closes its connections and exits."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self.sup.stop(self.proc)
