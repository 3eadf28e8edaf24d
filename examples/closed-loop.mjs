// The closed loop: a producer offering twice what the store can take, into a WriteCoordinator that
// rejects when full, paced through the coordinator's own feedback. Run after `npm run build`:
//   node examples/closed-loop.mjs
// It runs the same producer twice, paced and unpaced, and prints what each run cost.
import { interval, lastValueFrom, mergeMap, range, take } from 'rxjs';
import { WriteCoordinator, isQueueFullError, levelOf, submitTo, throttleByLevel } from '../dist/esm/index.js';

const SINK_MS_PER_ITEM = 1; // the "database" writes 1 000 items a second
const CAPACITY = 200;
const TICKS = 100; // 20 items every 10 ms: 2 000 items a second, twice the sink, 2 000 in all

async function run(paced) {
  let busyMs = 0;
  let firstWriteAt;
  let lastWriteEnd = 0;
  const coordinator = new WriteCoordinator({
    id: 'readings',
    capacity: CAPACITY,
    overflow: 'reject', // a full coordinator refuses: the producer must not overrun it
    workers: 1,
    batchSize: 20,
    flushIntervalMs: 5,
    bus: null,
    sink: async (batch) => {
      const started = performance.now();
      firstWriteAt ??= started;
      await new Promise((resolve) => setTimeout(resolve, batch.length * SINK_MS_PER_ITEM));
      lastWriteEnd = performance.now();
      busyMs += lastWriteEnd - started;
    },
  });
  let maxDepth = 0;
  const depth = coordinator.depth$.subscribe((d) => (maxDepth = Math.max(maxDepth, d)));
  const levels = [];
  const level = coordinator.level$.subscribe((l) => levels.push(l));
  // Started here, not on the first submit (autoStart): the pacing below holds every value until the
  // coordinator's first feedback event, which comes with start(); without it nothing would flow.
  coordinator.start();

  let rejected = 0;
  const producer$ = interval(10).pipe(
    take(TICKS),
    mergeMap((tick) => range(tick * 20, 20)),
  );
  const pacing = paced
    ? // ok: no gap; soft: 1 ms, the sink's own pace; hard: hold everything until the queue drains.
      throttleByLevel(levelOf(coordinator.feedback$, coordinator.id), {
        ok: 0,
        soft: SINK_MS_PER_ITEM,
        hard: 'pause',
      })
    : (source) => source;

  await lastValueFrom(
    producer$.pipe(
      pacing,
      // Submit as values come out, O(1) a value (concatMap would submit too late, a microtask after).
      submitTo(coordinator, {
        onRefused: (_item, error) => {
          if (isQueueFullError(error)) rejected++;
          else throw error;
        },
      }),
    ),
    { defaultValue: undefined },
  );
  const report = await coordinator.stop({ drain: true });
  depth.unsubscribe();
  level.unsubscribe();
  const spanMs = lastWriteEnd - firstWriteAt;
  return {
    rejected,
    written: report.written,
    maxDepth,
    levelChanges: levels.length - 1,
    utilisation: busyMs / spanMs,
    seconds: spanMs / 1000,
  };
}

for (const paced of [true, false]) {
  const r = await run(paced);
  console.log(
    `${paced ? 'paced  ' : 'unpaced'}: written ${r.written}, rejected ${r.rejected}, ` +
      `max depth ${r.maxDepth}/${CAPACITY}, ${r.levelChanges} level changes, ` +
      `sink busy ${(r.utilisation * 100).toFixed(1)} % of ${r.seconds.toFixed(2)} s`,
  );
}
