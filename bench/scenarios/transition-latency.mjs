// Scenario 4: from the `submit` that crosses a watermark to the bus listener being called.
import { filter, firstValueFrom } from 'rxjs';
import { fmtInt, fmtMs, percentile } from '../harness.mjs';

export const id = 'latency';
export const title = '4. Transition latency: crossing `submit` to bus listener';

export async function run({ lib, quick }) {
  const cycles = quick ? 300 : 3_000;
  const capacity = 100;
  let open = true;
  let release = () => {};
  let gate = Promise.resolve();
  const sink = () => (open ? undefined : gate);
  const bus = new lib.FeedbackBus();
  const coordinator = new lib.WriteCoordinator({
    id: 'latency',
    sink,
    capacity,
    workers: 1,
    batchSize: 10,
    flushIntervalMs: 0,
    bus,
  });
  const latencies = { soft_watermark: [], high_watermark: [] };
  let submittedAt = NaN;
  let levelNow = 'ok';
  bus.subscribe((event) => {
    const t = performance.now();
    levelNow = event.level;
    if (event.reason in latencies && Number.isFinite(submittedAt))
      latencies[event.reason].push(t - submittedAt);
  });
  coordinator.start();
  let item = 0;
  let submits = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    open = false;
    gate = new Promise((resolve) => (release = resolve));
    while (levelNow !== 'hard') {
      submittedAt = performance.now();
      const accepted = coordinator.submit(item++);
      submittedAt = NaN;
      submits++;
      await accepted;
      if (submits > (cycle + 1) * capacity * 2) throw new Error('the level never reached hard');
    }
    open = true;
    release();
    await firstValueFrom(coordinator.depth$.pipe(filter((depth) => depth === 0)));
  }
  await coordinator.stop({ drain: true });
  const rows = [];
  const data = { cycles, capacity, submits };
  for (const [reason, values] of Object.entries(latencies)) {
    const label =
      reason === 'soft_watermark' ? 'ok -> soft (soft_watermark)' : 'soft -> hard (high_watermark)';
    const stats = {
      count: values.length,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: Math.max(...values),
    };
    data[reason] = stats;
    rows.push([label, fmtInt(stats.count), fmtMs(stats.p50), fmtMs(stats.p99), fmtMs(stats.max)]);
  }
  rows.push(['polling every 250 ms (by construction)', '-', fmtMs(125), fmtMs(247.5), fmtMs(250)]);
  return {
    note: `${fmtInt(cycles)} fill/drain cycles (capacity ${capacity}, 1 worker, batch 10, sink held closed while filling); time from just before the crossing \`submit\` to the listener's first line.`,
    tables: [{ headers: ['transition', 'samples', 'p50', 'p99', 'max'], rows }],
    data,
    targets: [],
  };
}
