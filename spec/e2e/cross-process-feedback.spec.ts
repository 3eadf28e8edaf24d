import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import { sleep, waitFor } from '../webhook/http-test-server.js';

type ChildMessage =
  | { type: 'listening'; port: number }
  | { type: 'level'; level: string }
  | { type: 'item'; n: number }
  | { type: 'rejected'; status: number; reason: string };

const ROOT = resolve(__dirname, '../..');
const SECRET = 'e2e-secret';

describe('cross-process feedback (end to end)', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let coordinator: WriteCoordinator<number> | undefined;
  let broadcaster: HttpFeedbackBroadcaster | undefined;

  afterEach(async () => {
    broadcaster?.stop();
    await coordinator?.stop({ drain: false, timeoutMs: 1_000 });
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill();
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    child = undefined;
    coordinator = undefined;
    broadcaster = undefined;
    dir = undefined;
  });

  it('pauses a producer in another process when the coordinator is driven to hard, and resumes it on recovery', async () => {
    // The producer process: bundled from TypeScript, rxjs left external (resolved from the project).
    dir = await mkdtemp(join(tmpdir(), 'rxjs-backpressure-e2e-'));
    const bundle = join(dir, 'paced-producer.cjs');
    await build({
      entryPoints: [join(__dirname, 'fixtures/paced-producer.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['rxjs'],
      outfile: bundle,
      logLevel: 'silent',
    });
    child = fork(bundle, [], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), FEEDBACK_SECRET: SECRET },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const levels: string[] = [];
    const rejected: unknown[] = [];
    const itemTimes: number[] = [];
    let port: number | undefined;

    // The store process: a coordinator whose sink the test can hold shut.
    let openGate: () => void = () => undefined;
    let gate = Promise.resolve();
    const bus = new FeedbackBus();
    const published: FeedbackEvent[] = [];
    bus.subscribe((e) => void published.push(e));
    let maxDepth = 0;
    coordinator = new WriteCoordinator<number>({
      id: 'store',
      capacity: 50,
      workers: 1,
      batchSize: 10,
      flushIntervalMs: 5,
      bus,
      sink: () => gate,
    });
    coordinator.depth$.subscribe((depth) => (maxDepth = Math.max(maxDepth, depth)));
    coordinator.start();
    const store = coordinator;

    child.on('message', (message: ChildMessage) => {
      if (message.type === 'listening') port = message.port;
      else if (message.type === 'level') levels.push(message.level);
      else if (message.type === 'rejected') rejected.push(message);
      else {
        itemTimes.push(performance.now());
        store.submit(message.n).catch(() => undefined);
      }
    });
    await waitFor(() => port !== undefined, 15_000, 'the producer process to listen');
    broadcaster = new HttpFeedbackBroadcaster({
      url: `http://127.0.0.1:${port}/feedback`,
      secret: SECRET,
    }).start(bus);

    // 1. Running freely at level ok.
    await waitFor(() => itemTimes.length >= 10, 5_000, 'items at level ok');
    expect(levels).toEqual(['ok']);

    // 2. Hold the sink shut: the producer's own items fill the coordinator up to hard.
    gate = new Promise<void>((open) => (openGate = open));
    await waitFor(() => levels.includes('hard'), 10_000, 'the producer to see hard');
    expect(store.level).toBe('hard');
    // Let items already on their way land, then watch: nothing more is produced while hard.
    await sleep(100);
    const countWhilePaused = itemTimes.length;
    await sleep(500);
    expect(itemTimes.length).toBe(countWhilePaused);
    expect(store.level).toBe('hard');
    // The pause came in time: the coordinator never filled up (no producer ever blocked).
    expect(maxDepth).toBeLessThan(50);

    // 3. Open the sink: the coordinator drains, recovers to ok, and the producer resumes.
    openGate();
    gate = Promise.resolve();
    await waitFor(() => levels[levels.length - 1] === 'ok', 10_000, 'the producer to see ok');
    await waitFor(() => itemTimes.length >= countWhilePaused + 10, 5_000, 'items after recovery');

    expect(levels[0]).toBe('ok');
    expect(levels.indexOf('hard')).toBeGreaterThan(0);
    expect(levels.lastIndexOf('ok')).toBeGreaterThan(levels.indexOf('hard'));
    expect(rejected).toEqual([]);
    // The last level the coordinator published is the one the producer follows.
    expect(published[published.length - 1]!.level).toBe('ok');
  }, 30_000);
});
