// Scenario 9: what a webhook broadcaster costs when its endpoint is slow or never answers: the
// heap it keeps, the time a burst spends on the bus, and a coordinator's run with and without it.
import { createServer } from 'node:http';
import {
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRatio,
  heapAfterGc,
  interleave,
  median,
  sleep,
  tick,
} from '../harness.mjs';

export const id = 'webhook';
export const title = '9. Webhook broadcaster: heap, bus time and coordinator time against a hanging endpoint';

const LEVELS = ['ok', 'soft', 'hard'];

/** An HTTP server on 127.0.0.1 that answers after `delayMs`, or never when `delayMs` is null. */
async function endpoint(delayMs) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    req.resume();
    if (delayMs !== null) setTimeout(() => res.writeHead(204).end(), delayMs);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/feedback`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function event(i, coordinatorId = 'db') {
  return {
    coordinatorId,
    level: LEVELS[i % 3],
    previousLevel: LEVELS[(i + 2) % 3],
    reason: 'high_watermark',
    queueSize: i % 10_000,
    capacity: 10_000,
    utilization: (i % 10_000) / 10_000,
    ts: 1_700_000_000_000 + i,
    source: 'bench',
  };
}

/** Heap kept while `count` events for 4 coordinators arrive at an endpoint that never answers. */
async function hangingHeap(lib, webhook, count) {
  const server = await endpoint(null);
  const bus = new lib.FeedbackBus();
  const broadcaster = new webhook.HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 60_000 }).start(bus);
  const publish = (from, n) => {
    for (let i = from; i < from + n; i++) bus.publish(event(i, `c${i % 4}`));
  };
  publish(0, 100); // warm-up: the four lanes and their requests exist before measuring
  await sleep(50);
  const before = heapAfterGc();
  let maxPending = 0;
  for (let round = 0; round < count / 1_000; round++) {
    publish(100 + round * 1_000, 1_000);
    maxPending = Math.max(maxPending, broadcaster.pending);
    await tick();
  }
  const grown = heapAfterGc() - before;
  const coalesced = broadcaster.coalesced;
  broadcaster.stop();
  await server.close();
  return { grown, maxPending, coalesced };
}

/** Milliseconds the bus spends publishing a 1 000-event burst, with a broadcaster or a no-op listener. */
async function burstMs(lib, webhook, variant, server) {
  const bus = new lib.FeedbackBus();
  const broadcaster =
    variant === 'broadcaster'
      ? new webhook.HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 60_000 }).start(bus)
      : undefined;
  if (broadcaster === undefined) bus.subscribe(() => undefined);
  const t0 = performance.now();
  for (let i = 0; i < 1_000; i++) bus.publish(event(i));
  const ms = performance.now() - t0;
  broadcaster?.stop();
  return ms;
}

/** Milliseconds for `n` awaited submits and a drain, with or without a broadcaster on the bus. */
async function coordinatorMs(lib, webhook, variant, server, n) {
  const bus = new lib.FeedbackBus();
  const broadcaster =
    variant === 'hanging webhook'
      ? new webhook.HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 60_000 }).start(bus)
      : undefined;
  const coordinator = new lib.WriteCoordinator({
    id: 'db',
    capacity: 100,
    workers: 1,
    batchSize: 50,
    flushIntervalMs: 1,
    bus,
    sink: () => sleep(1),
  });
  coordinator.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await coordinator.submit(i);
  await coordinator.stop({ drain: true });
  const ms = performance.now() - t0;
  broadcaster?.stop();
  return ms;
}

export async function run({ lib, libWebhook: webhook, quick }) {
  const count = quick ? 20_000 : 100_000;
  const submits = quick ? 2_000 : 5_000;
  const rounds = quick ? 3 : 7;
  const heap = await hangingHeap(lib, webhook, count);

  const hanging = await endpoint(null);
  const bursts = await interleave([{ name: 'no-op listener' }, { name: 'broadcaster' }], rounds, (v) =>
    burstMs(lib, webhook, v.name, hanging),
  );
  const runs = await interleave([{ name: 'no broadcaster' }, { name: 'hanging webhook' }], rounds, (v) =>
    coordinatorMs(lib, webhook, v.name, hanging, submits),
  );
  await hanging.close();

  const baseBurst = median(bursts.get('no-op listener'));
  const withBurst = median(bursts.get('broadcaster'));
  const baseRun = median(runs.get('no broadcaster'));
  const withRun = median(runs.get('hanging webhook'));
  const heapBound = 5 * 1024 * 1024;
  return {
    note:
      (quick ? 'QUICK: reduced counts. ' : '') +
      `Endpoint on 127.0.0.1 that never answers. Medians of ${rounds} interleaved rounds.`,
    tables: [
      {
        caption: `Heap kept while ${fmtInt(count)} events for 4 coordinators arrive`,
        headers: ['heap growth', 'most pending', 'coalesced'],
        rows: [[fmtBytes(heap.grown), String(heap.maxPending), fmtInt(heap.coalesced)]],
      },
      {
        caption: 'Time on the bus for a 1 000-event burst, and a coordinator run of awaited submits',
        headers: ['measure', 'without', 'with a hanging webhook', 'ratio'],
        rows: [
          ['1 000 publishes', fmtMs(baseBurst), fmtMs(withBurst), fmtRatio(withBurst / baseBurst)],
          [`${fmtInt(submits)} submits + drain`, fmtMs(baseRun), fmtMs(withRun), fmtRatio(withRun / baseRun)],
        ],
      },
    ],
    data: { heap, bursts: Object.fromEntries(bursts), runs: Object.fromEntries(runs) },
    targets: [
      {
        text: `a hanging endpoint keeps one event per coordinator, heap growth < ${fmtBytes(heapBound)}`,
        measured: `${fmtBytes(heap.grown)}, at most ${heap.maxPending} pending`,
        pass: heap.grown < heapBound && heap.maxPending <= 4,
      },
      {
        text: 'a hanging webhook slows a coordinator by less than 3x',
        measured: fmtRatio(withRun / baseRun),
        pass: withRun / baseRun < 3,
      },
    ],
  };
}
