'use strict';
// node-redis (npm `redis`, pinned in package.json) against groupd, with createClient defaults.
//
// node-redis 6 negotiates RESP3 by default (HELLO 3) and sends CLIENT SETINFO and
// CLIENT MAINT_NOTIFICATIONS, ignoring their errors. Every behaviour is run with `RESP: 2` and
// `RESP: 3`. One groupd serves the file; every test uses keys under its own unique prefix.

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  Frames, GroupdServer, PID_RE, assertEvent, isEvent, requireClientLibrary, uniquePrefix, within,
} = require('./harness');

const { createClient } = requireClientLibrary('redis');

let server;
const clients = new Set();

before(async () => {
  server = await new GroupdServer().start();
});

after(async () => {
  for (const c of clients) {
    if (c.isOpen) c.destroy();
  }
  if (server) await server.stop();
});

// Records 'error' events (node-redis throws on an unhandled one) so tests can assert health.
function track(c) {
  c.errors = [];
  c.on('error', (err) => c.errors.push(err.message));
  clients.add(c);
  return c;
}

// With portOnly the client is built exactly as createClient({ socket: { port } }). With a host,
// node-redis also sends CLIENT MAINT_NOTIFICATIONS in its handshake and must survive its error.
async function connect(options = {}, { portOnly = false } = {}) {
  const socket = portOnly ? { port: server.port } : { host: server.host, port: server.port };
  const c = track(createClient({ ...options, socket }));
  await within(c.connect(), 'node-redis connect');
  return c;
}

async function duplicate(c) {
  const d = track(c.duplicate());
  await within(d.connect(), 'node-redis duplicate connect');
  return d;
}

function flatToObject(flat) {
  assert.ok(Array.isArray(flat) && flat.length % 2 === 0, `not a flat array: ${flat}`);
  const out = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

describe('node-redis createClient defaults', () => {
  it('createClient({ socket: { port } }) connects, answers PING and negotiates RESP3',
    async () => {
      const c = await connect({}, { portOnly: true });
      assert.equal(await c.ping(), 'PONG');
      const hello = await c.sendCommand(['HELLO']);
      // Under RESP3 HELLO is a map (an object here); under RESP2 it would be a flat array.
      assert.ok(!Array.isArray(hello) && hello !== null, `HELLO reply ${JSON.stringify(hello)}`);
      assert.equal(hello.proto, 3);
      assert.deepEqual(c.errors, []);
    });

  it('a handshake with a host (CLIENT MAINT_NOTIFICATIONS, CLIENT SETINFO) leaves the client ready',
    async () => {
      const c = await connect();
      assert.equal(c.isReady, true);
      assert.equal(await c.sendCommand(['GPID']).then((pid) => PID_RE.test(pid)), true);
      assert.deepEqual(c.errors, []);
    });

  for (const RESP of [2, 3]) {
    it(`the name option sets the client name (RESP ${RESP})`, async () => {
      const c = await connect({ RESP, name: `nr-named-${RESP}` });
      assert.equal(await c.sendCommand(['CLIENT', 'GETNAME']), `nr-named-${RESP}`);
    });
  }
});

for (const RESP of [2, 3]) {
  describe(`node-redis with RESP: ${RESP}`, () => {
    const options = { RESP };
    const prefixFor = (t) => uniquePrefix('nr', `resp${RESP} ${t.name}`);

    it('sendCommand GREG and GLOOKUP return OK and [pid, meta]', async (t) => {
      const c = await connect(options);
      const key = prefixFor(t) + 'k';
      assert.equal(await c.sendCommand(['GREG', key, 'META', 'role', 'admin', 'zone', 'eu']), 'OK');
      const pid = await c.sendCommand(['GPID']);
      assert.match(pid, PID_RE);
      const [owner, meta] = await c.sendCommand(['GLOOKUP', key]);
      assert.equal(owner, pid);
      // RESP3 meta is a map (a plain object in node-redis); RESP2 meta is a flat array.
      if (RESP === 3) {
        assert.ok(!Array.isArray(meta), `RESP3 meta should be a map: ${JSON.stringify(meta)}`);
        assert.deepEqual({ ...meta }, { role: 'admin', zone: 'eu' });
      } else {
        assert.deepEqual(flatToObject(meta), { role: 'admin', zone: 'eu' });
      }
      assert.equal(await c.sendCommand(['GLOOKUP', key + '-nobody']), null);
    });

    it('GREG of a key held by another connection rejects with TAKEN', async (t) => {
      const owner = await connect(options);
      const other = await connect(options);
      const key = prefixFor(t) + 'k';
      await owner.sendCommand(['GREG', key]);
      const pid = await owner.sendCommand(['GPID']);
      await assert.rejects(other.sendCommand(['GREG', key]), {
        message: `TAKEN key '${key}' is registered by ${pid}`,
      });
      assert.equal(await other.ping(), 'PONG');
    });

    it('GJOIN, GMEMBERS and GCOUNT have the documented reply shapes', async (t) => {
      const c = await connect(options);
      const group = prefixFor(t) + 'g';
      assert.equal(await c.sendCommand(['GJOIN', group, 'META', 'n', '1']), 'OK');
      const pid = await c.sendCommand(['GPID']);
      const members = await c.sendCommand(['GMEMBERS', group]);
      assert.equal(members.length, 1, JSON.stringify(members));
      assert.equal(members[0][0], pid);
      const meta = RESP === 3 ? { ...members[0][1] } : flatToObject(members[0][1]);
      assert.deepEqual(meta, { n: '1' });
      assert.equal(await c.sendCommand(['GCOUNT', group]), 1);
      assert.equal(await c.sendCommand(['GLEAVE', group]), 'OK');
      assert.equal(await c.sendCommand(['GCOUNT', group]), 0);
    });

    it('multi().exec() runs the queued commands at once and returns their replies', async (t) => {
      const c = await connect(options);
      const other = await connect(options);
      const prefix = prefixFor(t);
      const replies = await within(
        c.multi()
          .addCommand(['GREG', prefix + 'k', 'META', 'role', 'admin'])
          .addCommand(['GJOIN', prefix + 'g'])
          .addCommand(['GCOUNT', prefix + 'g'])
          .addCommand(['GLOOKUP', prefix + 'k'])
          .exec(),
        'EXEC');
      const pid = await c.sendCommand(['GPID']);
      assert.deepEqual(replies.slice(0, 3), ['OK', 'OK', 1]);
      assert.equal(replies[3][0], pid);
      assert.equal((await other.sendCommand(['GLOOKUP', prefix + 'k']))[0], pid);
      assert.deepEqual(c.errors, []);
    });

    it('multi().exec() rejects with each failed command and keeps the others', async (t) => {
      const c = await connect(options);
      const owner = await connect(options);
      const prefix = prefixFor(t);
      await owner.sendCommand(['GREG', prefix + 'taken']);
      const run = c.multi()
        .addCommand(['GREG', prefix + 'taken'])
        .addCommand(['GREG', prefix + 'mine'])
        .exec();
      const err = await within(run.then(() => null, (e) => e), 'EXEC');
      assert.ok(err && Array.isArray(err.errorIndexes), `not a MultiErrorReply: ${err}`);
      assert.deepEqual(err.errorIndexes, [0]);
      assert.match(err.replies[0].message, /^TAKEN /);
      assert.equal(err.replies[1], 'OK');
      assert.equal(await c.ping(), 'PONG');
    });

    it('a duplicate() subscriber receives JSON events through its listener', async (t) => {
      const prefix = prefixFor(t);
      const channel = `__gevent__:${prefix}`;
      const actor = await connect(options);
      const subscriber = await duplicate(actor);
      const frames = new Frames();
      const listener = (message, ch) => frames.push({ channel: ch, message });
      await within(subscriber.subscribe(channel, listener), 'subscribe');
      const pid = await actor.sendCommand(['GPID']);
      const key = prefix + 'k';
      const group = prefix + 'g';

      await actor.sendCommand(['GREG', key, 'META', 'v', '1']);
      let frame = await frames.wait(isEvent('registered', key), 'registered event');
      assert.equal(frame.channel, channel);
      assertEvent(assert, frame, { type: 'registered', key, pid, meta: { v: '1' } });

      await actor.sendCommand(['GJOIN', group, 'META', 'r', 'x']);
      frame = await frames.wait(isEvent('joined', group), 'joined event');
      assertEvent(assert, frame, { type: 'joined', key: group, pid, meta: { r: 'x' } });

      await actor.sendCommand(['GJOIN', group, 'META', 'r', 'y']);
      frame = await frames.wait(isEvent('joined', group), 're-joined event');
      assertEvent(assert, frame, {
        type: 'joined', key: group, pid, meta: { r: 'y' }, previousMeta: { r: 'x' },
      });

      await actor.sendCommand(['GUNREG', key]);
      frame = await frames.wait(isEvent('unregistered', key), 'unregistered event');
      assertEvent(assert, frame, {
        type: 'unregistered', key, pid, meta: { v: '1' }, reason: 'unregister',
      });

      // close() ends the connection: what it still holds goes with reason "disconnect".
      await within(actor.close(), 'close');
      frame = await frames.wait(isEvent('left', group), 'left event after close');
      assertEvent(assert, frame, {
        type: 'left', key: group, pid, meta: { r: 'y' }, reason: 'disconnect',
      });
      assert.deepEqual(subscriber.errors, []);
    });

    it('quit() of a registered connection emits unregistered with reason disconnect',
      async (t) => {
        const prefix = prefixFor(t);
        const watcher = await connect(options);
        const frames = new Frames();
        await within(watcher.subscribe(`__gevent__:${prefix}`,
          (message, ch) => frames.push({ channel: ch, message })), 'subscribe');
        const actor = await connect(options);
        const pid = await actor.sendCommand(['GPID']);
        const key = prefix + 'k';
        await actor.sendCommand(['GREG', key]);
        await frames.wait(isEvent('registered', key), 'registered event');
        assert.equal(await within(actor.quit(), 'quit'), 'OK');
        const frame = await frames.wait(isEvent('unregistered', key), 'unregistered after quit');
        assertEvent(assert, frame, {
          type: 'unregistered', key, pid, meta: {}, reason: 'disconnect',
        });
      });

    it('pSubscribe receives one message per event with the key channel', async (t) => {
      const prefix = prefixFor(t);
      const pattern = `__gevent__:${prefix}*`;
      const subscriber = await connect(options);
      const frames = new Frames();
      const listener = (message, ch) => frames.push({ channel: ch, message });
      await within(subscriber.pSubscribe(pattern, listener), 'pSubscribe');
      const actor = await connect(options);
      const pid = await actor.sendCommand(['GPID']);
      const key = prefix + 'k';
      await actor.sendCommand(['GREG', key, 'META', 'a', '1']);
      const frame = await frames.wait(isEvent('registered', key), 'pattern event');
      assert.equal(frame.channel, `__gevent__:${key}`);
      assertEvent(assert, frame, { type: 'registered', key, pid, meta: { a: '1' } });
      await frames.assertNone(isEvent('registered', key), 'second message for one event');
    });

    it('a subscriber can still PING in subscribed mode', async (t) => {
      const subscriber = await connect(options);
      await within(subscriber.subscribe(`__gevent__:${prefixFor(t)}`, () => {}), 'subscribe');
      // node-redis turns RESP2's subscribed-mode ["pong", ""] into "pong".
      assert.equal(await within(subscriber.ping(), 'PING'), RESP === 2 ? 'pong' : 'PONG');
      assert.deepEqual(subscriber.errors, []);
    });

    it('a member also subscribed to its __gdispatch__ channel gets each dispatch once',
      async (t) => {
        const group = prefixFor(t) + 'g';
        const member = await connect(options);
        assert.equal(await member.sendCommand(['GJOIN', group]), 'OK');
        const frames = new Frames();
        await within(member.subscribe(`__gdispatch__:${group}`,
          (message, ch) => frames.push({ channel: ch, message })), 'subscribe');
        const sender = await connect(options);
        assert.equal(await sender.sendCommand(['GDISPATCH', group, 'once']), 1);
        const pred = (f) => f.channel === `__gdispatch__:${group}` && f.message === 'once';
        await frames.wait(pred, 'dispatch message');
        await frames.assertNone(pred, 'second copy of one dispatch');
      });

    if (RESP === 3) {
      it('an unsubscribed RESP3 member takes dispatch pushes without breaking node-redis',
        async (t) => {
          const group = prefixFor(t) + 'g';
          const member = await connect(options);
          await member.sendCommand(['GJOIN', group]);
          const pid = await member.sendCommand(['GPID']);
          const sender = await connect(options);
          for (let i = 0; i < 5; i++) {
            // Pushes land between replies of commands in flight on the member.
            const inFlight = [member.sendCommand(['GCOUNT', group]), member.sendCommand(['GPID'])];
            assert.equal(await sender.sendCommand(['GDISPATCH', group, `push-${i}`]), 1);
            assert.deepEqual(await within(Promise.all(inFlight), 'member commands'), [1, pid]);
          }
          assert.equal(await member.ping(), 'PONG');
          assert.equal(member.isReady, true);
          assert.deepEqual(member.errors, []);
        });
    } else {
      it('an unsubscribed RESP2 member is skipped by GDISPATCH', async (t) => {
        const group = prefixFor(t) + 'g';
        const member = await connect(options);
        await member.sendCommand(['GJOIN', group]);
        const sender = await connect(options);
        assert.equal(await sender.sendCommand(['GDISPATCH', group, 'lost']), 0);
        assert.equal(await member.sendCommand(['GCOUNT', group]), 1);
      });

      it('a RESP2 member subscribed elsewhere is counted and stays healthy', async (t) => {
        const prefix = prefixFor(t);
        const group = prefix + 'g';
        const member = await connect(options);
        await member.sendCommand(['GJOIN', group]);
        await within(member.subscribe(prefix + 'unrelated', () => {}), 'subscribe');
        const sender = await connect(options);
        assert.equal(await sender.sendCommand(['GDISPATCH', group, 'to-member']), 1);
        // node-redis has no listener for __gdispatch__ here and must drop the frame quietly.
        assert.equal(await within(member.ping(), 'PING'), 'pong');
        assert.deepEqual(member.errors, []);
      });
    }
  });
}
