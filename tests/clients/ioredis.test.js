'use strict';
// ioredis (pinned in package.json) against groupd, with ioredis's default options.
//
// ioredis 6 connects with HELLO 3 by default, runs CLIENT SETINFO and an INFO ready check, so the
// defaults exercise RESP3. The pub/sub and dispatch behaviours are also run with `protocol: 2`,
// the classic subscribed-mode path. One groupd serves the file; every test uses keys under its
// own unique prefix.

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const {
  Frames, GroupdServer, PID_RE, assertEvent, isEvent, requireClientLibrary, uniquePrefix, within,
} = require('./harness');

const Redis = requireClientLibrary('ioredis');

let server;
const clients = new Set();

before(async () => {
  server = await new GroupdServer().start();
});

after(async () => {
  for (const c of clients) c.disconnect();
  if (server) await server.stop();
});

// A connected client; records 'error' events so tests can assert the connection stayed healthy.
// With portOnly the client is built exactly as `new Redis({ port })`, host left to its default.
async function connect(options = {}, { portOnly = false } = {}) {
  const address = portOnly ? { port: server.port } : { host: server.host, port: server.port };
  const c = new Redis({ ...address, ...options });
  c.errors = [];
  c.on('error', (err) => c.errors.push(err.message));
  clients.add(c);
  await within(new Promise((resolve, reject) => {
    c.once('ready', resolve);
    c.once('end', () => reject(new Error(`connection ended before ready: ${c.errors}`)));
  }), 'ioredis ready');
  return c;
}

function metaObject(flat) {
  assert.ok(Array.isArray(flat) && flat.length % 2 === 0, `not a flat meta array: ${flat}`);
  const out = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

describe('ioredis default options', () => {
  it('new Redis({ port }) passes the handshake and INFO ready check and negotiates RESP3',
    async () => {
      const r = await connect({}, { portOnly: true });
      assert.equal(r.status, 'ready');
      const hello = metaObject(await r.call('HELLO'));
      assert.equal(hello.proto, 3, `HELLO reports ${JSON.stringify(hello)}`);
      assert.equal(await r.ping(), 'PONG');
      assert.deepEqual(r.errors, []);
    });

  it('applies connectionName through CLIENT SETNAME during the handshake', async () => {
    const r = await connect({ connectionName: 'io-named' });
    assert.equal(await r.client('GETNAME'), 'io-named');
    assert.equal(await r.client('SETNAME', 'io-renamed'), 'OK');
    assert.equal(await r.client('GETNAME'), 'io-renamed');
  });

  it('call GREG and GLOOKUP return OK and [pid, flat meta]', async (t) => {
    const r = await connect();
    const key = uniquePrefix('io', t.name) + 'k';
    assert.equal(await r.call('GREG', key, 'META', 'role', 'admin', 'zone', 'eu'), 'OK');
    const pid = await r.call('GPID');
    assert.match(pid, PID_RE);
    const reply = await r.call('GLOOKUP', key);
    assert.equal(reply.length, 2, JSON.stringify(reply));
    assert.equal(reply[0], pid);
    assert.deepEqual(metaObject(reply[1]), { role: 'admin', zone: 'eu' });
    assert.equal(await r.call('GLOOKUP', key + '-nobody'), null);
  });

  it('replyMapping resp3 gives GLOOKUP meta as an object', async (t) => {
    const r = await connect({ replyMapping: 'resp3' });
    const key = uniquePrefix('io', t.name) + 'k';
    await r.call('GREG', key, 'META', 'role', 'admin');
    const pid = await r.call('GPID');
    assert.deepEqual(await r.call('GLOOKUP', key), [pid, { role: 'admin' }]);
  });

  it('GREG of a key held by another connection rejects with TAKEN naming the owner', async (t) => {
    const owner = await connect();
    const other = await connect();
    const key = uniquePrefix('io', t.name) + 'k';
    await owner.call('GREG', key);
    const pid = await owner.call('GPID');
    await assert.rejects(other.call('GREG', key), {
      name: 'ReplyError',
      message: `TAKEN key '${key}' is registered by ${pid}`,
    });
    // The rejected command leaves the connection usable.
    assert.equal(await other.call('GLOOKUP', key).then((x) => x[0]), pid);
  });

  it('GJOIN, GMEMBERS, GCOUNT and GLEAVE have the documented reply shapes', async (t) => {
    const a = await connect();
    const b = await connect();
    const group = uniquePrefix('io', t.name) + 'g';
    assert.equal(await a.call('GJOIN', group, 'META', 'n', '1'), 'OK');
    assert.equal(await b.call('GJOIN', group, 'META', 'n', '2'), 'OK');
    const [pidA, pidB] = [await a.call('GPID'), await b.call('GPID')];
    const members = await a.call('GMEMBERS', group);
    assert.equal(members.length, 2, JSON.stringify(members));
    const byPid = Object.fromEntries(members.map(([pid, meta]) => [pid, metaObject(meta)]));
    assert.deepEqual(byPid, { [pidA]: { n: '1' }, [pidB]: { n: '2' } });
    assert.equal(await a.call('GCOUNT', group), 2);
    assert.equal(await a.call('GLEAVE', group), 'OK');
    assert.equal(await b.call('GCOUNT', group), 1);
    await assert.rejects(a.call('GLEAVE', group), {
      message: `NOTINGROUP not a member of group '${group}'`,
    });
  });
});

describe('ioredis transactions', () => {
  it('multi().exec() runs the queued commands at once and returns [error, reply] pairs',
    async (t) => {
      const r = await connect();
      const other = await connect();
      const prefix = uniquePrefix('io', t.name);
      await other.call('GREG', prefix + 'taken');
      const tx = r.multi();
      tx.call('GREG', prefix + 'k', 'META', 'role', 'admin');
      tx.call('GREG', prefix + 'taken');
      tx.call('GJOIN', prefix + 'g');
      tx.call('GCOUNT', prefix + 'g');
      const replies = await within(tx.exec(), 'EXEC');
      assert.equal(replies.length, 4, JSON.stringify(replies));
      assert.deepEqual(replies[0], [null, 'OK']);
      assert.match(replies[1][0].message, /^TAKEN /);
      assert.deepEqual(replies[2], [null, 'OK']);
      assert.deepEqual(replies[3], [null, 1]);
      assert.equal((await other.call('GLOOKUP', prefix + 'k'))[0], await r.call('GPID'));
      assert.deepEqual(r.errors, []);
    });

  it('an unknown command rejects exec() with EXECABORT and nothing runs', async (t) => {
    const r = await connect();
    const key = uniquePrefix('io', t.name) + 'k';
    const tx = r.multi();
    tx.call('GREG', key);
    tx.call('NOSUCHCOMMAND');
    await assert.rejects(tx.exec(), { message: /^EXECABORT Transaction discarded/ });
    assert.equal(await r.call('GLOOKUP', key), null);
    assert.equal(await r.call('GREG', key), 'OK');
  });

  it('a RESP3 connection monitoring its own keys gets their events after the EXEC reply',
    async (t) => {
      const r = await connect();
      const key = uniquePrefix('io', t.name) + 'k';
      const frames = new Frames();
      r.on('message', (ch, message) => frames.push({ channel: ch, message }));
      await within(r.call('GMONITOR', key), 'GMONITOR');
      const replies = await within(r.multi().call('GREG', key).call('GLOOKUP', key).exec(), 'EXEC');
      assert.deepEqual(replies[0], [null, 'OK']);
      assert.equal(replies[1][1][0], await r.call('GPID'));
      await frames.wait(isEvent('registered', key), 'own registered event');
      assert.deepEqual(r.errors, []);
    });
});

// Subscribes `sub` to `channel` and routes its 'message' events into a Frames collector.
async function monitor(sub, channel) {
  const frames = new Frames();
  sub.on('message', (ch, message) => frames.push({ channel: ch, message }));
  assert.equal(await within(sub.subscribe(channel), `SUBSCRIBE ${channel}`), 1);
  return frames;
}

for (const protocol of [3, 2]) {
  const label = protocol === 3 ? 'default (RESP3)' : 'protocol 2';
  const options = protocol === 3 ? {} : { protocol: 2 };

  describe(`ioredis pub/sub and dispatch, ${label}`, () => {
    it('subscribe to a __gevent__ prefix delivers JSON events of another connection',
      async (t) => {
        const prefix = uniquePrefix('io', `${label} ${t.name}`);
        const channel = `__gevent__:${prefix}`;
        const frames = await monitor(await connect(options), channel);
        const actor = await connect(options);
        const pid = await actor.call('GPID');
        const key = prefix + 'k';
        const group = prefix + 'g';
        const seqs = [];

        await actor.call('GREG', key, 'META', 'v', '1');
        let frame = await frames.wait(isEvent('registered', key), 'registered event');
        assert.equal(frame.channel, channel);
        seqs.push(assertEvent(assert, frame, {
          type: 'registered', key, pid, meta: { v: '1' },
        }).seq);

        await actor.call('GREG', key, 'META', 'v', '2');
        frame = await frames.wait(isEvent('registered', key), 're-registered event');
        seqs.push(assertEvent(assert, frame, {
          type: 'registered', key, pid, meta: { v: '2' }, previousMeta: { v: '1' },
        }).seq);

        await actor.call('GJOIN', group, 'META', 'r', 'x');
        frame = await frames.wait(isEvent('joined', group), 'joined event');
        seqs.push(assertEvent(assert, frame, {
          type: 'joined', key: group, pid, meta: { r: 'x' },
        }).seq);

        await actor.call('GLEAVE', group);
        frame = await frames.wait(isEvent('left', group), 'left event');
        seqs.push(assertEvent(assert, frame, {
          type: 'left', key: group, pid, meta: { r: 'x' }, reason: 'leave',
        }).seq);

        await actor.call('GUNREG', key);
        frame = await frames.wait(isEvent('unregistered', key), 'unregistered event');
        seqs.push(assertEvent(assert, frame, {
          type: 'unregistered', key, pid, meta: { v: '2' }, reason: 'unregister',
        }).seq);

        assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `seq must increase: ${seqs}`);
        assert.equal(new Set(seqs).size, seqs.length, `seq must not repeat: ${seqs}`);
      });

    it('quit of a connection emits unregistered and left with reason disconnect', async (t) => {
      const prefix = uniquePrefix('io', `${label} ${t.name}`);
      const frames = await monitor(await connect(options), `__gevent__:${prefix}`);
      const actor = await connect(options);
      const pid = await actor.call('GPID');
      const key = prefix + 'k';
      const group = prefix + 'g';
      await actor.call('GREG', key, 'META', 'a', '1');
      await actor.call('GJOIN', group, 'META', 'b', '2');
      await frames.wait(isEvent('registered', key), 'registered event');
      await frames.wait(isEvent('joined', group), 'joined event');

      assert.equal(await actor.quit(), 'OK');

      let frame = await frames.wait(isEvent('unregistered', key), 'unregistered event after quit');
      assertEvent(assert, frame, {
        type: 'unregistered', key, pid, meta: { a: '1' }, reason: 'disconnect',
      });
      frame = await frames.wait(isEvent('left', group), 'left event after quit');
      assertEvent(assert, frame, {
        type: 'left', key: group, pid, meta: { b: '2' }, reason: 'disconnect',
      });
    });

    it('psubscribe receives one pmessage per event on the key channel', async (t) => {
      const prefix = uniquePrefix('io', `${label} ${t.name}`);
      const pattern = `__gevent__:${prefix}*`;
      const sub = await connect(options);
      const frames = new Frames();
      sub.on('pmessage', (pat, channel, message) => {
        frames.push({ pattern: pat, channel, message });
      });
      assert.equal(await within(sub.psubscribe(pattern), 'PSUBSCRIBE'), 1);
      const actor = await connect(options);
      const pid = await actor.call('GPID');
      const key = prefix + 'k';
      await actor.call('GREG', key, 'META', 'a', '1');
      const frame = await frames.wait(isEvent('registered', key), 'pmessage event');
      assert.equal(frame.pattern, pattern);
      assert.equal(frame.channel, `__gevent__:${key}`);
      assertEvent(assert, frame, { type: 'registered', key, pid, meta: { a: '1' } });
      await frames.assertNone(isEvent('registered', key), 'second pmessage for one event');
    });

    it('a subscriber can still PING in subscribed mode', async (t) => {
      const prefix = uniquePrefix('io', `${label} ${t.name}`);
      const sub = await connect(options);
      await monitor(sub, `__gevent__:${prefix}`);
      // RESP2 subscribed mode answers PING with ["pong", ""]; RESP3 keeps the plain +PONG.
      const expected = protocol === 2 ? ['pong', ''] : 'PONG';
      assert.deepEqual(await within(sub.ping(), 'PING in subscribed mode'), expected);
      assert.deepEqual(sub.errors, []);
    });

    it('GDISPATCH reaches a subscribed member on its __gdispatch__ channel', async (t) => {
      const prefix = uniquePrefix('io', `${label} ${t.name}`);
      const group = prefix + 'g';
      const member = await connect(options);
      assert.equal(await member.call('GJOIN', group), 'OK');
      // Subscribed to an unrelated channel only: membership alone must bring the frame.
      const frames = await monitor(member, prefix + 'unrelated');
      const sender = await connect(options);
      assert.equal(await sender.call('GDISPATCH', group, 'hello'), 1);
      const frame = await frames.wait(
        (f) => f.channel === `__gdispatch__:${group}` && f.message === 'hello', 'dispatch frame');
      assert.ok(frame);
      assert.deepEqual(member.errors, []);
    });

    if (protocol === 3) {
      it('an unsubscribed RESP3 member takes the dispatch push and keeps its reply stream',
        async (t) => {
          const group = uniquePrefix('io', `${label} ${t.name}`) + 'g';
          const member = await connect(options);
          await member.call('GJOIN', group);
          const pid = await member.call('GPID');
          const sender = await connect(options);
          assert.equal(await sender.call('GDISPATCH', group, 'push-1'), 1);
          // Interleave more pushes with commands in flight on the member.
          const pending = [member.call('GCOUNT', group), member.call('GPID')];
          assert.equal(await sender.call('GDISPATCH', group, 'push-2'), 1);
          pending.push(member.call('GLOOKUP', group), member.ping());
          assert.deepEqual(await within(Promise.all(pending), 'member commands'),
            [1, pid, null, 'PONG']);
          assert.deepEqual(member.errors, []);
          assert.equal(member.status, 'ready');
        });

      it('a monitoring RESP3 connection receives events of its own changes', async (t) => {
        const prefix = uniquePrefix('io', `${label} ${t.name}`);
        const watcher = await connect(options);
        const frames = await monitor(watcher, `__gevent__:${prefix}`);
        const pid = await watcher.call('GPID');
        const key = prefix + 'k';
        assert.equal(await watcher.call('GREG', key, 'META', 'own', 'yes'), 'OK');
        const frame = await frames.wait(isEvent('registered', key), 'own registered event');
        assertEvent(assert, frame, { type: 'registered', key, pid, meta: { own: 'yes' } });
      });
    } else {
      it('an unsubscribed RESP2 member is skipped by GDISPATCH', async (t) => {
        const group = uniquePrefix('io', `${label} ${t.name}`) + 'g';
        const member = await connect(options);
        await member.call('GJOIN', group);
        const sender = await connect(options);
        assert.equal(await sender.call('GDISPATCH', group, 'lost'), 0);
        assert.equal(await member.call('GCOUNT', group), 1);
        assert.deepEqual(member.errors, []);
      });
    }
  });
}
