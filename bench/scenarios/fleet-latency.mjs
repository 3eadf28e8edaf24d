// Scenario 7: from a level change on the publishing side to the event reaching a subscriber on
// other connections: Redis (MULTI HSET + PUBLISH, ioredis), NATS JetStream KV (put + watch) and the
// HTTP webhook (HttpFeedbackBroadcaster -> createFeedbackReceiver), in interleaved rounds.
// Needs Redis on 127.0.0.1:6379 and NATS with JetStream on 127.0.0.1:4222.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { fmtInt, fmtMs, percentile } from '../harness.mjs';

export const id = 'fleet';
export const title = '7. Fleet feedback latency: level change to a remote subscriber';

const dist = new URL('../../dist/esm/', import.meta.url);

export async function run({ lib, quick }) {
  const { redisFeedbackTransport } = await import(new URL('redis/index.js', dist).href);
  const { natsKvFeedbackTransport } = await import(new URL('nats/index.js', dist).href);
  const { HttpFeedbackBroadcaster } = await import(new URL('webhook/index.js', dist).href);
  const { createFeedbackReceiver } = await import(new URL('node/index.js', dist).href);
  const rounds = quick ? 2 : 5;
  const perRound = quick ? 50 : 200;
  const name = `rxbp-bench-${Math.random().toString(36).slice(2, 10)}`;
  const cleanups = [];

  /** A publishing bus on one side, a stream of received events on the other. */
  async function redisPath() {
    const pub = new Redis({ host: '127.0.0.1', port: 6379 });
    const sub = new Redis({ host: '127.0.0.1', port: 6379 });
    const out = redisFeedbackTransport({ client: pub, prefix: name });
    const into = redisFeedbackTransport({ client: sub, prefix: name });
    cleanups.push(async () => {
      await out.close();
      await into.close();
      await pub.del(`${name}:levels`);
      await pub.quit();
      await sub.quit();
    });
    const bus = new lib.FeedbackBus();
    const publishing = lib.publishFeedback(bus.feedback$, out, { heartbeatMs: 60_000 });
    cleanups.push(async () => publishing.unsubscribe());
    return { bus, received$: lib.fromTransport(into, { staleAfterMs: 600_000 }) };
  }

  async function natsPath() {
    const pub = await connect({ servers: '127.0.0.1:4222' });
    const sub = await connect({ servers: '127.0.0.1:4222' });
    const out = natsKvFeedbackTransport({ connection: pub, bucket: name });
    const into = natsKvFeedbackTransport({ connection: sub, bucket: name });
    cleanups.push(async () => {
      await out.close();
      await into.close();
      await (await new Kvm(pub).open(name)).destroy();
      await pub.close();
      await sub.close();
    });
    const bus = new lib.FeedbackBus();
    const publishing = lib.publishFeedback(bus.feedback$, out, { heartbeatMs: 60_000 });
    cleanups.push(async () => publishing.unsubscribe());
    return { bus, received$: lib.fromTransport(into, { staleAfterMs: 600_000 }) };
  }

  async function webhookPath() {
    const receiver = createFeedbackReceiver();
    const server = createServer(receiver.handler);
    await new Promise((done) => server.listen(0, '127.0.0.1', done));
    const bus = new lib.FeedbackBus();
    const broadcaster = new HttpFeedbackBroadcaster({
      url: `http://127.0.0.1:${server.address().port}/feedback`,
    }).start(bus);
    cleanups.push(async () => {
      broadcaster.stop();
      await new Promise((done) => server.close(done));
    });
    return { bus, received$: receiver.feedback$ };
  }

  const paths = { 'Redis (ioredis, MULTI HSET + PUBLISH)': await redisPath() };
  paths['NATS JetStream KV (put + watch)'] = await natsPath();
  paths['HTTP webhook (POST, node:http receiver)'] = await webhookPath();
  const latencies = Object.fromEntries(Object.keys(paths).map((label) => [label, []]));
  const subscriptions = [];
  const waiting = {};
  for (const [label, path] of Object.entries(paths)) {
    subscriptions.push(
      path.received$.subscribe((event) => {
        const pending = waiting[label];
        if (pending && event.queueSize === pending.n) {
          latencies[label].push(performance.now() - pending.at);
          waiting[label] = undefined;
          pending.done();
        }
      }),
    );
  }
  await new Promise((done) => setTimeout(done, 300)); // every subscriber is listening

  let n = 0;
  const levels = ['soft', 'hard', 'soft', 'ok'];
  for (let round = 0; round < rounds; round++) {
    for (const [label, path] of Object.entries(paths)) {
      for (let i = 0; i < perRound; i++) {
        n++;
        const level = levels[n % levels.length];
        const arrived = new Promise((done) => (waiting[label] = { n, at: performance.now(), done }));
        const timeout = new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${label}: change ${n} did not arrive in 5 s`)), 5_000),
        );
        path.bus.publish(
          lib.createFeedbackEvent({
            coordinatorId: 'bench',
            level,
            previousLevel: 'ok',
            queueSize: n,
            capacity: 10_000_000,
            reason: 'soft_watermark',
            ts: Date.now(),
          }),
        );
        await Promise.race([arrived, timeout]);
      }
    }
  }
  for (const subscription of subscriptions) subscription.unsubscribe();
  for (const cleanup of cleanups.reverse()) await cleanup();

  const rows = [];
  const data = { rounds, perRound };
  for (const [label, values] of Object.entries(latencies)) {
    const stats = {
      count: values.length,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
    };
    data[label] = stats;
    rows.push([label, fmtInt(stats.count), fmtMs(stats.p50), fmtMs(stats.p99), fmtMs(stats.max)]);
  }
  return {
    note: `${rounds} interleaved rounds of ${perRound} level changes per transport, one at a time; time from \`bus.publish\` on the publishing side to the event on a subscriber using its own connections (same machine, loopback).`,
    tables: [{ headers: ['transport', 'samples', 'p50', 'p99', 'max'], rows }],
    data,
    targets: [],
  };
}
