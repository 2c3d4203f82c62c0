'use strict';
// Starts and stops a groupd binary for the node client-library tests, and small helpers to wait
// for frames with a bound.
//
// The binary comes from $GROUPD_BIN (ctest sets it to the built target) and falls back to
// build/server/groupd in the source tree. The server listens on a kernel-chosen port reported
// through --ports-file; start() resolves once that file is complete and PING answers +PONG.
// Every server started here is killed by stop(), by the process 'exit' hook (also reached on
// SIGTERM/SIGINT) when a test file ends without stopping it, and by the kernel (setpriv
// --pdeathsig) when the test process is killed outright.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SOURCE_ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_BIN = path.join(SOURCE_ROOT, 'build', 'server', 'groupd');
const STARTUP_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 5000;
const EVENT_TIMEOUT_MS = 3000;
const QUIET_MS = 300;
const SETPRIV = '/usr/bin/setpriv';
const STDIO = ['ignore', 'ignore', 'pipe'];

const liveServers = new Set();

// Fails with a clear message when the pinned npm packages are not installed.
function requireClientLibrary(name) {
  try {
    return require(name);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `npm package '${name}' is not installed in ${__dirname}/node_modules; ` +
          `run 'npm ci --prefix tests/clients' first (${err.message.split('\n')[0]})`,
      );
    }
    throw err;
  }
}

function groupdBin() {
  return process.env.GROUPD_BIN || DEFAULT_BIN;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function pingOnce(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done('timeout'));
    socket.on('error', (err) => done(err.message));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('\r\n')) done(reply);
    });
    socket.on('end', () => done(reply || 'closed'));
  });
}

class GroupdServer {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
    this.child = null;
    this.host = '127.0.0.1';
    this.port = null;
    this.peerPort = null;
    this.tmpdir = null;
    this.stderr = '';
    this.exitCode = undefined;
  }

  async start() {
    const bin = groupdBin();
    try {
      fs.accessSync(bin, fs.constants.X_OK);
    } catch {
      throw new Error(`groupd binary not found or not executable: ${bin} ` +
        "(set GROUPD_BIN or build the 'groupd' target)");
    }
    this.tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'groupd-clients-'));
    const portsFile = path.join(this.tmpdir, 'ports');
    const args = ['--port', '0', '--ports-file', portsFile, '--loglevel', 'off', ...this.extraArgs];
    // setpriv (util-linux) asks the kernel to SIGKILL groupd when this process dies, even by a
    // SIGKILL that no 'exit' handler sees; without it the handlers below are the only guard.
    this.child = fs.existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: STDIO })
      : spawn(bin, args, { stdio: STDIO });
    liveServers.add(this);
    this.child.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exitCode = code ?? signal;
    });
    try {
      await this.#waitForPorts(portsFile);
      await this.#waitForPing();
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this;
  }

  #failure(what) {
    const state = this.exitCode === undefined ? 'still running' : `exited with ${this.exitCode}`;
    return new Error(`groupd ${what} (${state}); stderr:\n${this.stderr}`);
  }

  async #waitForPorts(portsFile) {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) throw this.#failure('exited before writing its ports file');
      let text = '';
      try {
        text = fs.readFileSync(portsFile, 'ascii');
      } catch {
        // Not written yet.
      }
      // The line is complete only once its newline is there; a partial write is retried.
      if (text.endsWith('\n')) {
        const fields = text.trim().split(/\s+/);
        if (fields.length !== 2) throw new Error(`malformed ports file: ${JSON.stringify(text)}`);
        this.port = Number(fields[0]);
        this.peerPort = Number(fields[1]);
        if (!(this.port > 0)) throw new Error(`ports file names port ${fields[0]}`);
        return;
      }
      await sleep(20);
    }
    throw this.#failure(`wrote no ports file within ${STARTUP_TIMEOUT_MS} ms`);
  }

  async #waitForPing() {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let last = '';
    while (Date.now() < deadline) {
      last = await pingOnce(this.port);
      if (last === '+PONG\r\n') return;
      await sleep(50);
    }
    throw this.#failure(`did not answer PING within ${STARTUP_TIMEOUT_MS} ms ` +
      `(last: ${JSON.stringify(last)})`);
  }

  alive() {
    return this.child !== null && this.exitCode === undefined;
  }

  async stop() {
    const child = this.child;
    if (child && this.exitCode === undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.child = null;
    if (this.tmpdir) {
      fs.rmSync(this.tmpdir, { recursive: true, force: true });
      this.tmpdir = null;
    }
    liveServers.delete(this);
  }
}

// Last resort: 'exit' handlers must be synchronous, so SIGKILL whatever is still running.
process.on('exit', () => {
  for (const server of liveServers) {
    if (server.child && server.exitCode === undefined) server.child.kill('SIGKILL');
    if (server.tmpdir) fs.rmSync(server.tmpdir, { recursive: true, force: true });
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(128 + os.constants.signals[signal]));
}

// Collects frames pushed by a client library's callbacks and lets a test wait for one that
// matches, with a bound. Frames no wait has claimed yet are kept for later waits.
class Frames {
  constructor() {
    this.unclaimed = [];
    this.waiters = [];
  }

  push(frame) {
    const i = this.waiters.findIndex((w) => w.pred(frame));
    if (i >= 0) {
      const [waiter] = this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    } else {
      this.unclaimed.push(frame);
    }
  }

  wait(pred, what, timeoutMs = EVENT_TIMEOUT_MS) {
    const i = this.unclaimed.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms; frames seen instead: ` +
          JSON.stringify(this.unclaimed)));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async assertNone(pred, what, windowMs = QUIET_MS) {
    let frame;
    try {
      frame = await this.wait(pred, what, windowMs);
    } catch {
      return;
    }
    throw new Error(`unexpected ${what}: ${JSON.stringify(frame)}`);
  }
}

// Parses a frame's payload as an event and tells whether it is a `type` event for `key`.
function isEvent(type, key) {
  return (frame) => {
    try {
      const ev = JSON.parse(frame.message);
      return ev !== null && ev.type === type && ev.key === key;
    } catch {
      return false;
    }
  };
}

const EVENT_FIELDS = ['type', 'cluster', 'key', 'pid', 'node', 'meta', 'previous_meta', 'reason',
  'seq'];
const PID_RE = /^[0-9]+\.[0-9a-z]+@(.+)$/;

// Checks every documented field of an event payload; returns the parsed event.
function assertEvent(assert, frame, { type, key, pid, meta, previousMeta = null, reason = null }) {
  const ev = JSON.parse(frame.message);
  const missing = EVENT_FIELDS.filter((f) => !(f in ev));
  assert.deepStrictEqual(missing, [], `event lacks documented fields: ${frame.message}`);
  assert.strictEqual(ev.type, type, frame.message);
  assert.strictEqual(ev.cluster, null, `default cluster must be null: ${frame.message}`);
  assert.strictEqual(ev.key, key, frame.message);
  assert.strictEqual(ev.pid, pid, frame.message);
  const m = PID_RE.exec(pid);
  assert.ok(m, `pid ${pid} does not have the documented shape`);
  assert.strictEqual(ev.node, m[1], `node must be the node part of the pid: ${frame.message}`);
  assert.deepStrictEqual(ev.meta, meta, frame.message);
  assert.deepStrictEqual(ev.previous_meta, previousMeta, frame.message);
  assert.strictEqual(ev.reason, reason, frame.message);
  assert.ok(Number.isInteger(ev.seq), `seq must be an integer: ${frame.message}`);
  return ev;
}

let uniqueCounter = 0;
// A key prefix no other test uses, ending in '/' so it also works as a prefix monitor pattern.
function uniquePrefix(lib, name) {
  uniqueCounter += 1;
  return `${lib}/${name.replace(/[^A-Za-z0-9]+/g, '-')}/${process.pid}.${uniqueCounter}/`;
}

// Bounds a promise so that a client call that never settles fails the test instead of hanging.
function within(promise, what, timeoutMs = EVENT_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)),
      timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

module.exports = {
  EVENT_TIMEOUT_MS,
  Frames,
  GroupdServer,
  PID_RE,
  QUIET_MS,
  assertEvent,
  isEvent,
  requireClientLibrary,
  sleep,
  uniquePrefix,
  within,
};
