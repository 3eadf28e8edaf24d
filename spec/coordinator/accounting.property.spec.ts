import fc from 'fast-check';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteContext } from '../../lib/coordinator/sink.js';
import type { DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';
import type { OverflowStrategy } from '../../lib/queue/bounded-queue.js';
import { FatalError, RetryableError, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

type Behaviour =
  | { readonly kind: 'ok'; readonly ms: number }
  | { readonly kind: 'retryable'; readonly ms: number }
  | { readonly kind: 'fatal'; readonly ms: number }
  | { readonly kind: 'hang' };

const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('ok' as const), ms: fc.integer({ min: 0, max: 12 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('retryable' as const), ms: fc.integer({ min: 0, max: 8 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('fatal' as const), ms: fc.integer({ min: 0, max: 5 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

const scenario = fc.record({
  capacity: fc.integer({ min: 1, max: 30 }),
  workers: fc.integer({ min: 1, max: 4 }),
  batchSize: fc.integer({ min: 1, max: 10 }),
  flushIntervalMs: fc.integer({ min: 0, max: 20 }),
  overflow: fc.constantFrom<OverflowStrategy>('block', 'reject', 'drop-oldest', 'drop-newest'),
  breaker: fc.option(
    fc.record({
      failureThreshold: fc.integer({ min: 1, max: 3 }),
      halfOpenAfterMs: fc.integer({ min: 5, max: 30 }),
    }),
    { nil: undefined },
  ),
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  behaviours: fc.array(behaviour, { minLength: 1, maxLength: 12 }),
  items: fc.integer({ min: 0, max: 80 }),
  pauseEvery: fc.integer({ min: 1, max: 20 }),
  submitTimeoutMs: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  stopAfterMs: fc.integer({ min: 0, max: 100 }),
  drain: fc.boolean(),
  stopTimeoutMs: fc.integer({ min: 0, max: 60 }),
  deadLetterFails: fc.boolean(),
});

describe('WriteCoordinator accounting (property)', () => {
  it('balances at every step and writes each written item exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const violations: string[] = [];
        const stored: number[] = [];
        const deadLettered: DeadLetterRecord<number>[] = [];
        const dropped: number[] = [];
        const rejected: number[] = [];
        let call = 0;
        // Virtual time only: a failing seed replays the same run, step for step.
        const clock = new VirtualClock();
        const check = (where: string): void => {
          const h = coordinator.health();
          const held = h.written + h.deadLettered + h.dropped + h.rejected + h.queueSize + h.inFlight;
          if (h.submitted !== held)
            violations.push(`${where}: submitted ${h.submitted} != ${held} (${JSON.stringify(h)})`);
          if (h.queueSize + h.inFlight > h.capacity) violations.push(`${where}: depth above capacity`);
        };
        const sink = async (batch: readonly number[], { signal }: WriteContext): Promise<void> => {
          check('sink');
          const b = s.behaviours[call++ % s.behaviours.length]!;
          if (b.kind === 'hang') {
            await clock.sleep(1e9, signal);
            return;
          }
          await clock.sleep(b.ms, signal);
          if (b.kind === 'retryable') throw new RetryableError('temporarily down');
          if (b.kind === 'fatal') throw new FatalError('bad batch');
          if (signal.aborted) throw signal.reason as Error;
          stored.push(...batch);
        };
        let puts = 0;
        const coordinator = new WriteCoordinator<number>({
          sink,
          bus: null,
          scheduler: clock,
          capacity: s.capacity,
          workers: Math.min(s.workers, s.capacity),
          batchSize: s.batchSize,
          flushIntervalMs: s.flushIntervalMs,
          overflow: s.overflow,
          writeTimeoutMs: 25,
          retry: { maxAttempts: s.maxAttempts, initialBackoffMs: 2, maxBackoffMs: 10, jitter: false },
          circuitBreaker: s.breaker ?? false,
          deadLetter: {
            put: (record) => {
              check('dead-letter');
              if (s.deadLetterFails && ++puts % 2 === 0) throw new Error('dead-letter queue down');
              deadLettered.push(record);
            },
          },
        });
        coordinator.depth$.subscribe(() => check('depth$'));
        coordinator.writes$.subscribe(() => check('writes$'));
        coordinator.dropped$.subscribe(({ item }) => {
          dropped.push(item);
          check('dropped$');
        });
        coordinator.start();

        const producer = (async () => {
          for (const i of range(s.items)) {
            const options = s.submitTimeoutMs === undefined ? undefined : { timeoutMs: s.submitTimeoutMs };
            await coordinator.submit(i, options).catch(() => {
              rejected.push(i);
            });
            check('submit');
            if (i % s.pauseEvery === 0) await clock.sleep(1);
          }
        })();
        await clock.advance(s.stopAfterMs);
        const report = await clock.run(coordinator.stop({ drain: s.drain, timeoutMs: s.stopTimeoutMs }));
        check('stopped');
        await clock.run(producer);
        await clock.advance(5); // let sinks that were aborted settle

        const h = coordinator.health();
        expect(violations).toEqual([]);
        expect(h).toMatchObject({ queueSize: 0, inFlight: 0, submitted: s.items, state: 'stopped' });
        expect(h.written + h.deadLettered + h.dropped + h.rejected).toBe(h.submitted);
        expect(report).toMatchObject({ written: h.written, deadLettered: h.deadLettered });
        // Exactly once: every stored item once, and as many as the coordinator counted as written.
        expect(new Set(stored).size).toBe(stored.length);
        expect(stored.length).toBe(h.written);
        const lettered = [...deadLettered, ...coordinator.unsavedDeadLetters].flatMap((r) => r.items);
        expect(lettered.length).toBe(h.deadLettered);
        expect(dropped.length).toBe(h.dropped);
        expect(rejected.length).toBe(h.rejected);
        // Every item has exactly one fate.
        const fates = [...stored, ...lettered, ...dropped, ...rejected].sort((a, b) => a - b);
        expect(fates).toEqual(range(s.items));
      }),
      { numRuns: 60 },
    );
  }, 60_000);
  it('still balances with sinks that ignore their signal (delivery at least once)', async () => {
    const careless = fc.record({
      capacity: fc.integer({ min: 1, max: 20 }),
      workers: fc.integer({ min: 1, max: 3 }),
      batchSize: fc.integer({ min: 1, max: 8 }),
      latencies: fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(-1)), {
        minLength: 1,
        maxLength: 8,
      }),
      items: fc.integer({ min: 0, max: 50 }),
      stopAfterMs: fc.integer({ min: 0, max: 60 }),
      drain: fc.boolean(),
      stopTimeoutMs: fc.integer({ min: 0, max: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(careless, async (s) => {
        const landed: number[] = [];
        const violations: string[] = [];
        let call = 0;
        const clock = new VirtualClock();
        const coordinator = new WriteCoordinator<number>({
          // Ignores its signal: -1 never settles, other latencies land the batch whatever happened.
          sink: async (batch) => {
            const ms = s.latencies[call++ % s.latencies.length]!;
            if (ms < 0) return new Promise<void>(() => undefined);
            await clock.sleep(ms);
            landed.push(...batch);
          },
          bus: null,
          scheduler: clock,
          capacity: s.capacity,
          workers: Math.min(s.workers, s.capacity),
          batchSize: s.batchSize,
          flushIntervalMs: 2,
          writeTimeoutMs: 15,
          retry: { maxAttempts: 2, initialBackoffMs: 1, jitter: false },
          circuitBreaker: false,
        });
        const check = (where: string): void => {
          const h = coordinator.health();
          if (
            h.submitted !==
            h.written + h.deadLettered + h.dropped + h.rejected + h.queueSize + h.inFlight
          ) {
            violations.push(where);
          }
        };
        coordinator.writes$.subscribe(() => check('writes$'));
        coordinator.depth$.subscribe(() => check('depth$'));
        coordinator.start();
        const producer = (async () => {
          for (const i of range(s.items)) {
            await coordinator.submit(i).catch(() => undefined);
            check('submit');
          }
        })();
        await clock.advance(s.stopAfterMs);
        await clock.run(coordinator.stop({ drain: s.drain, timeoutMs: s.stopTimeoutMs }));
        await clock.run(producer);
        const h = coordinator.health();
        expect(violations).toEqual([]);
        expect(h).toMatchObject({ queueSize: 0, inFlight: 0, submitted: s.items });
        expect(h.written + h.deadLettered + h.dropped + h.rejected).toBe(s.items);
        // At least once: whatever landed was submitted; written items all landed.
        expect(landed.every((i) => i >= 0 && i < s.items)).toBe(true);
        expect(new Set(landed).size).toBeGreaterThanOrEqual(h.written);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
