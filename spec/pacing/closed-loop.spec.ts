import {
  interval,
  lastValueFrom,
  map,
  mergeMap,
  range,
  take,
  tap,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { isQueueFullError } from '../../lib/errors/queue-full-error.js';
import { levelOf } from '../../lib/pacing/level-of.js';
import { aimdRate } from '../../lib/pacing/aimd-rate.js';
import { pace } from '../../lib/pacing/pace.js';
import { pauseWhile } from '../../lib/pacing/pause-while.js';
import { throttleByLevel } from '../../lib/pacing/throttle-by-level.js';
import { VirtualClock } from '../support/virtual-clock.js';

// The closed loop, end to end, on one virtual clock (producer, pacing, coordinator and sink): a producer offers twice what the sink can take into a
// coordinator that rejects when full. Paced through the coordinator's own feedback, nothing is
// rejected and the sink never idles; without pacing, items are rejected. The same loop on real time,
// with its figures, is the `loop` scenario in bench/.

const SINK_MS_PER_ITEM = 1; // the simulated store writes 1 000 items a second
const TICK_MS = 10;
const ITEMS_PER_TICK = 20; // 2 000 items a second: twice the sink
const TICKS = 100; // 2 000 items, offered in 1 s; the sink needs 2 s
const CAPACITY = 200;

interface LoopResult {
  readonly offered: number;
  readonly rejected: number;
  readonly otherErrors: number;
  readonly written: number;
  readonly maxDepth: number;
  readonly busyMs: number;
  readonly spanMs: number;
  readonly utilisation: number;
}

async function runLoop(
  pacing: (coordinator: WriteCoordinator<number>, clock: VirtualClock) => MonoTypeOperatorFunction<number>,
): Promise<LoopResult> {
  const clock = new VirtualClock();
  let busyMs = 0;
  let firstWriteAt: number | null = null;
  let lastWriteEnd = 0;
  const coordinator = new WriteCoordinator<number>({
    id: 'closed-loop',
    capacity: CAPACITY,
    overflow: 'reject',
    workers: 1,
    batchSize: 20,
    flushIntervalMs: 5,
    bus: null,
    scheduler: clock,
    sink: async (batch) => {
      const started = clock.now();
      firstWriteAt ??= started;
      await clock.sleep(batch.length * SINK_MS_PER_ITEM);
      lastWriteEnd = clock.now();
      busyMs += lastWriteEnd - started;
    },
  });
  let maxDepth = 0;
  const depthSubscription = coordinator.depth$.subscribe((depth) => (maxDepth = Math.max(maxDepth, depth)));
  coordinator.start();

  let offered = 0;
  let rejected = 0;
  let otherErrors = 0;
  const producing = lastValueFrom(
    interval(TICK_MS, clock).pipe(
      take(TICKS),
      mergeMap((tick) => range(tick * ITEMS_PER_TICK, ITEMS_PER_TICK)),
      tap(() => offered++),
      pacing(coordinator, clock),
      // Submit synchronously as values are released (mergeMap calls submit at once; concatMap
      // would call it a microtask later and hold the values itself, out of the operator's reach).
      mergeMap((item) =>
        coordinator.submit(item).catch((error: unknown) => {
          if (isQueueFullError(error)) rejected++;
          else otherErrors++;
        }),
      ),
    ),
    { defaultValue: undefined },
  );
  await clock.run(producing);
  const report = await clock.run(coordinator.stop({ drain: true, timeoutMs: 15_000 }));
  depthSubscription.unsubscribe();
  const spanMs = lastWriteEnd - (firstWriteAt ?? lastWriteEnd);
  return {
    offered,
    rejected,
    otherErrors,
    written: report.written,
    maxDepth,
    busyMs,
    spanMs,
    utilisation: spanMs > 0 ? busyMs / spanMs : 0,
  };
}

describe('closed loop: a producer at twice the sink rate into a rejecting coordinator', () => {
  it('throttleByLevel on levelOf(feedback$): nothing rejected, depth under capacity, sink kept busy', async () => {
    const result = await runLoop((coordinator, clock) =>
      throttleByLevel(
        levelOf(coordinator.feedback$, coordinator.id),
        {
          ok: 0,
          soft: SINK_MS_PER_ITEM, // match the sink at soft; grow the queue at ok; stop at hard
          hard: 'pause',
        },
        clock,
      ),
    );
    expect(result.offered).toBe(TICKS * ITEMS_PER_TICK);
    expect(result.rejected).toBe(0);
    expect(result.otherErrors).toBe(0);
    expect(result.written).toBe(result.offered);
    expect(result.maxDepth).toBeLessThan(CAPACITY);
    expect(result.utilisation).toBeGreaterThan(0.7); // virtual time: busy for all but the flush gaps
  });

  it('pauseWhile on the level (hard = paused): nothing rejected, depth under capacity, sink kept busy', async () => {
    const result = await runLoop((coordinator) =>
      pauseWhile(coordinator.level$.pipe(map((level) => level === 'hard'))),
    );
    expect(result.rejected).toBe(0);
    expect(result.otherErrors).toBe(0);
    expect(result.written).toBe(result.offered);
    expect(result.maxDepth).toBeLessThan(CAPACITY);
    expect(result.utilisation).toBeGreaterThan(0.7); // virtual time: busy for all but the flush gaps
  });

  it('pace(aimdRate(feedback$)): nothing rejected, depth under capacity, the rate settles near the sink', async () => {
    const rates: number[] = [];
    const result = await runLoop((coordinator, clock) =>
      pace(
        aimdRate(
          coordinator.feedback$,
          { initial: 500, min: 50, max: 4_000, increase: 100, intervalMs: 100, decreaseFactor: 0.5 },
          clock,
        ).pipe(tap((rate) => rates.push(rate))),
        { burst: 20 },
        clock,
      ),
    );
    expect(result.rejected).toBe(0);
    expect(result.otherErrors).toBe(0);
    expect(result.written).toBe(result.offered);
    expect(result.maxDepth).toBeLessThan(CAPACITY);
    // It probed upwards and backed off (a sawtooth), and kept the sink mostly busy.
    expect(rates.some((rate, i) => i > 0 && rate > rates[i - 1]!)).toBe(true);
    expect(rates.some((rate, i) => i > 0 && rate < rates[i - 1]!)).toBe(true);
    expect(result.utilisation).toBeGreaterThan(0.6);
  });

  it('without pacing, the same producer gets items rejected', async () => {
    const result = await runLoop(() => (source) => source);
    expect(result.offered).toBe(TICKS * ITEMS_PER_TICK);
    expect(result.rejected).toBeGreaterThan(0);
    expect(result.maxDepth).toBe(CAPACITY);
    expect(result.written + result.rejected).toBe(result.offered);
  });
});
