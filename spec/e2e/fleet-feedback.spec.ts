import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { fromTransport } from '../../lib/fleet/from-transport.js';
import type { FeedbackTransport } from '../../lib/fleet/feedback-transport.js';
import { levelOf } from '../../lib/pacing/level-of.js';
import { pacedInterval } from '../../lib/pacing/paced-interval.js';
import type { CoordinatorHealth } from '../../lib/coordinator/coordinator-health.js';
import { natsKvFeedbackTransport } from '../../lib/nats/nats-kv-feedback-transport.js';
import { redisFeedbackTransport } from '../../lib/redis/redis-feedback-transport.js';
import { recordEvents } from '../support/record-events.js';
import { isListening, randomName } from '../support/services.js';
import { waitFor } from '../webhook/http-test-server.js';

type ChildMessage = { type: 'ready' } | { type: 'stats'; health: CoordinatorHealth };

const ROOT = resolve(__dirname, '../..');
const KINDS = [
  { transport: 'ioredis', port: 6379 },
  { transport: 'node-redis', port: 6379 },
  { transport: 'nats', port: 4222 },
] as const;
const kinds = KINDS.filter((k) => process.env.CI === 'true' || isListening(k.port));

let bundleDir: string;
let bundle: string;
beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'rxbp-fleet-e2e-'));
  bundle = join(bundleDir, 'fleet-publisher.cjs');
  await build({
    entryPoints: [join(__dirname, 'fixtures/fleet-publisher.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['rxjs', 'ioredis', 'redis', '@nats-io/*'],
    outfile: bundle,
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

describe.each(kinds)('fleet feedback between processes over $transport', ({ transport: kind }) => {
  let child: ChildProcess | undefined;
  let name: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  /** The parent's side: a transport of the same kind, on its own connection. */
  async function parentTransport(): Promise<FeedbackTransport> {
    if (kind === 'nats') {
      const connection: NatsConnection = await connect({
        servers: '127.0.0.1:4222',
        maxReconnectAttempts: -1,
      });
      const transport = natsKvFeedbackTransport({ connection, bucket: name });
      cleanups.push(async () => {
        await transport.close();
        await (await new Kvm(connection).open(name)).destroy().catch(() => undefined);
        await connection.close();
      });
      return transport;
    }
    if (kind === 'node-redis') {
      const client = createClient({ url: 'redis://127.0.0.1:6379' });
      await client.connect();
      const transport = redisFeedbackTransport({ client, prefix: name });
      cleanups.push(async () => {
        await transport.close();
        await client.del(`${name}:levels`);
        await client.close();
      });
      return transport;
    }
    const client = new Redis({ host: '127.0.0.1', port: 6379 });
    const transport = redisFeedbackTransport({ client, prefix: name });
    cleanups.push(async () => {
      await transport.close();
      await client.del(`${name}:levels`);
      await client.quit();
    });
    return transport;
  }

  async function startChild(): Promise<ChildProcess> {
    const started = fork(bundle, [], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), FLEET_TRANSPORT: kind, FLEET_NAME: name },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = started;
    await new Promise<void>((ready, fail) => {
      started.on('message', (m: ChildMessage) => m.type === 'ready' && ready());
      started.once('exit', (code) => fail(new Error(`the publisher process exited with ${code}`)));
    });
    return started;
  }

  beforeEach(() => {
    name = randomName('rxbp-e2e');
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill();
      await exited;
    }
    child = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('turns the level of a publisher killed with SIGKILL into ok / feedback_stale after staleAfterMs', async () => {
    const publisher = await startChild();
    // staleAfterMs is ten heartbeats: a publisher's timers delayed by a loaded machine stay fresh.
    const reader = recordEvents(fromTransport(await parentTransport(), { staleAfterMs: 2_000 }));
    publisher.send({ type: 'fill' });
    await reader.wait((e) => e.level === 'hard', 'hard from the publisher', 10_000);
    // Heartbeats every 200 ms keep hard fresh well past staleAfterMs while the publisher lives.
    await new Promise((done) => setTimeout(done, 2_500));
    expect(reader.seen.filter((e) => e.reason === 'feedback_stale')).toEqual([]);

    const killedAt = Date.now();
    const exited = new Promise((done) => publisher.once('exit', done));
    publisher.kill('SIGKILL');
    await exited;
    const stale = await reader.wait((e) => e.reason === 'feedback_stale', 'feedback_stale', 10_000);
    const after = Date.now() - killedAt;
    reader.stop();
    expect(stale).toMatchObject({ coordinatorId: 'store', level: 'ok', previousLevel: 'hard' });
    expect(after).toBeGreaterThanOrEqual(1_700); // not before the last heartbeat (<= 200 ms old) aged 2 s
  }, 30_000);

  it("paces a producer in this process by the child's coordinator, with 0 items refused", async () => {
    const store = await startChild();
    const stats = () =>
      new Promise<CoordinatorHealth>((done) => {
        const onMessage = (m: ChildMessage) => {
          if (m.type !== 'stats') return;
          store.off('message', onMessage);
          done(m.health);
        };
        store.on('message', onMessage);
        store.send({ type: 'stats' });
      });
    const levels: string[] = [];
    let sent = 0;
    const level$ = levelOf(fromTransport(await parentTransport(), { staleAfterMs: 5_000 }), 'store');
    const levelSubscription = level$.subscribe((level) => levels.push(level));
    const producing = pacedInterval(level$, { ok: 5, soft: 20, hard: 'pause' }).subscribe(() =>
      store.send({ type: 'item', n: sent++ }),
    );
    try {
      await waitFor(() => sent >= 20, 5_000, 'items at ok');
      store.send({ type: 'close' });
      await waitFor(() => levels.includes('hard'), 10_000, 'the producer to see hard');
      await new Promise((done) => setTimeout(done, 100));
      const whilePaused = sent;
      await new Promise((done) => setTimeout(done, 500));
      expect(sent).toBe(whilePaused);
      store.send({ type: 'open' });
      await waitFor(() => levels[levels.length - 1] === 'ok', 10_000, 'the producer to see ok');
      await waitFor(() => sent >= whilePaused + 20, 5_000, 'items after recovery');
    } finally {
      producing.unsubscribe();
      levelSubscription.unsubscribe();
    }
    await new Promise((done) => setTimeout(done, 200)); // the last items land
    const health = await stats();
    expect(levels.indexOf('hard')).toBeGreaterThan(0);
    expect(health.rejected).toBe(0);
    expect(health.submitted).toBe(sent);
  }, 40_000);
});
