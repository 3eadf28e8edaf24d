import fc from 'fast-check';
import type { Watermarks } from '../../lib/levels/watermarks.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import type { OverflowStrategy } from '../../lib/queue/bounded-queue.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { PressureSignal } from '../../lib/coordinator/pressure-signal.js';
import { CoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { arbitraryWatermarks } from '../support/arbitrary-watermarks.js';

// While there is room and the level cannot change, `trySubmit` and `submit` put an item straight
// into the queue, without the admission test or the level step (the coordinator's steady room,
// counted in weight when items are weighed).
// The same coordinator with a pressure signal that never allows a steady rise sends every item the
// full way, as before the fast path existed: it is the twin that shows what the fast path must do.
// The same depths, levels, events, refusals and writes, whatever the capacity, watermarks,
// strategy, timing, depth$ subscribers and re-entrant submits.

const watermarks = arbitraryWatermarks();

type Step =
  | { burst: number; via: 'trySubmit' | 'submit' }
  | { advance: number }
  | { ready: number }
  | { subscribeDepth: true };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ burst: fc.integer({ min: 1, max: 15 }), via: fc.constantFrom('trySubmit', 'submit') }),
  fc.record({ advance: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ ready: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ subscribeDepth: true as const }),
);

interface Scenario {
  capacity: number;
  marks: Watermarks;
  overflow: OverflowStrategy;
  workers: number;
  refill: number;
  /** The level on which the `level$` subscriber refills: after a fall, or on a rise. */
  refillOn: 'ok' | 'hard';
  /** A `dropped$` subscriber submits again (re-entrant, inside an admission). */
  resubmitDropped: boolean;
  /** A `depth$` subscriber comes from inside the first `writes$` event (while a batch settles). */
  watchFromWrites: boolean;
  /** Items weigh 0, 1 or 2 (`weigh`), or nothing is weighed. */
  weighed: boolean;
  /** Writes `[from, from + length)` (counted from 1) fail: an outage that opens the breaker. */
  outage: { from: number; length: number } | null;
  steps: Step[];
}

/** Everything a user can see of one run. */
async function observe(scenario: Scenario): Promise<unknown> {
  const {
    capacity,
    marks,
    overflow,
    workers,
    refill,
    refillOn,
    resubmitDropped,
    watchFromWrites,
    weighed,
    outage,
    steps,
  } = scenario;
  const clock = new VirtualClock();
  const written: number[] = [];
  let writes = 0;
  const coordinator = new WriteCoordinator<number>({
    sink: (batch) =>
      new Promise<void>((resolve, reject) =>
        clock.schedule(() => {
          writes++;
          if (outage !== null && writes >= outage.from && writes < outage.from + outage.length) {
            return reject(new Error('store down'));
          }
          written.push(...batch);
          resolve();
        }, 4),
      ),
    capacity,
    watermarks: marks,
    overflow,
    // An open breaker holds the level at 'hard' while the depth's own level goes on moving.
    circuitBreaker: outage !== null ? { failureThreshold: 2, halfOpenAfterMs: 20 } : false,
    retry: { maxAttempts: 2, initialBackoffMs: 3, jitter: false },
    flushIntervalMs: 3,
    batchSize: Math.max(1, Math.floor(capacity / 3)),
    workers: Math.min(workers, capacity),
    bus: null,
    scheduler: clock,
    ...(weighed ? { weigh: (item: number) => item % 3 } : {}),
  });
  const seen: unknown[] = [];
  let next = 0;
  // trySubmit's answer, or what it threw (ItemTooHeavyError for an item heavier than the capacity).
  const attempt = (item: number): unknown => {
    try {
      return coordinator.trySubmit(item);
    } catch (error) {
      return String(error);
    }
  };
  coordinator.feedback$.subscribe((e) =>
    seen.push(['event', e.previousLevel, e.level, e.reason, e.queueSize]),
  );
  let refills = 0;
  coordinator.level$.subscribe((level) => {
    seen.push(['level', level]);
    // A producer that resumes from inside the emission: its submits are re-entrant. Bounded: with
    // 'drop-oldest' and weights, refilling on 'hard' can move the level down and up again forever.
    if (level === refillOn && coordinator.state === 'running' && refills < 40)
      for (let i = 0; i < refill; i++, refills++) seen.push(['refill', attempt(next++)]);
  });
  let resubmits = 0;
  if (resubmitDropped) {
    coordinator.dropped$.subscribe(() => {
      if (resubmits++ < 10 && coordinator.state === 'running') seen.push(['resubmit', attempt(next++)]);
    });
  }
  if (watchFromWrites) {
    const first = coordinator.writes$.subscribe(() => {
      first.unsubscribe();
      // Subscribing from inside a batch's settlement is the case under test.
      // eslint-disable-next-line rxjs-x/no-nested-subscribe
      coordinator.depth$.subscribe((d) => seen.push(['depth from writes$', d]));
    });
  }
  const outcomes: Promise<unknown>[] = [];
  for (const s of steps) {
    if ('advance' in s) await clock.advance(s.advance);
    else if ('ready' in s) outcomes.push(coordinator.ready({ weight: s.ready }).then(() => 'ready', String));
    else if ('subscribeDepth' in s) coordinator.depth$.subscribe((d) => seen.push(['depth', d]));
    else if (s.via === 'trySubmit') for (let i = 0; i < s.burst; i++) seen.push(['try', attempt(next++)]);
    else for (let i = 0; i < s.burst; i++) outcomes.push(coordinator.submit(next++).then(() => 'ok', String));
    seen.push(['health', { ...coordinator.health(), timeInLevelMs: null }]);
  }
  const stopping = coordinator.stop();
  await clock.until(() => coordinator.state === 'stopped', 600_000);
  await stopping;
  return { seen, written, outcomes: await Promise.all(outcomes), health: coordinator.health() };
}

describe('the steady room (items taken without the admission test or the level step)', () => {
  it('changes nothing a user sees: the same coordinator without the fast path is its twin', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          capacity: fc.integer({ min: 1, max: 40 }),
          marks: watermarks,
          overflow: fc.constantFrom<OverflowStrategy>('block', 'reject', 'drop-newest', 'drop-oldest'),
          workers: fc.integer({ min: 1, max: 3 }),
          refill: fc.integer({ min: 0, max: 6 }),
          refillOn: fc.constantFrom<'ok' | 'hard'>('ok', 'hard'),
          resubmitDropped: fc.boolean(),
          watchFromWrites: fc.boolean(),
          weighed: fc.boolean(),
          outage: fc.option(
            fc.record({ from: fc.integer({ min: 1, max: 6 }), length: fc.integer({ min: 1, max: 8 }) }),
          ),
          steps: fc.array(step, { maxLength: 40 }),
        }),
        async (scenario) => {
          const fast = await observe(scenario);
          // Patched by hand rather than with jest.spyOn, which would record every call of every run.
          const steadyRise = Object.getOwnPropertyDescriptor(PressureSignal.prototype, 'steadyRise')!;
          Object.defineProperty(PressureSignal.prototype, 'steadyRise', { ...steadyRise, value: () => 0 });
          let full: unknown;
          try {
            full = await observe(scenario);
          } finally {
            Object.defineProperty(PressureSignal.prototype, 'steadyRise', steadyRise);
          }
          expect(fast).toEqual(full);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a depth$ subscriber that comes after a fast run gets the depth now, then every change', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>((resolve) => clock.schedule(resolve, 5)),
      capacity: 100,
      batchSize: 10,
      flushIntervalMs: 1_000,
      workers: 1,
      bus: null,
      scheduler: clock,
    });
    for (let i = 0; i < 10; i++) coordinator.trySubmit(i); // a batch: taken at once, written at 5 ms
    await clock.advance(1);
    for (let i = 0; i < 3; i++) coordinator.trySubmit(i); // the fast path, unwatched: depth 13
    const depths: number[] = [];
    coordinator.depth$.subscribe((d) => depths.push(d));
    await clock.advance(5); // the batch is written: depth 3
    coordinator.trySubmit(99);
    expect(depths).toEqual([13, 3, 4]);
    await coordinator.stop({ drain: false });
  });

  it('a ready() waiting for more room than is left keeps newcomers out, first come first served', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>((resolve) => clock.schedule(resolve, 5)),
      capacity: 10,
      batchSize: 10,
      flushIntervalMs: 1_000,
      // One level all the way up, so that nearly all of the room is steady room.
      watermarks: { soft: 0.95, hard: 1, softExit: 0.5, hardExit: 0.9 },
      bus: null,
      scheduler: clock,
    });
    for (let i = 0; i < 7; i++) expect(coordinator.trySubmit(i)).toBe(true);
    const waiting = coordinator.ready({ weight: 4 });
    expect(coordinator.trySubmit(7)).toBe(false); // room for 3, but the ready() came first
    expect(coordinator.health()).toMatchObject({ submitted: 7, queueSize: 7 });
    await coordinator.stop({ drain: false });
    await expect(waiting).rejects.toThrow(CoordinatorClosedError);
  });

  it('counts the room held for a resolved ready() once, fast path or not: the next trySubmit claims it', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>((resolve) => clock.schedule(resolve, 5)),
      capacity: 10,
      batchSize: 8,
      flushIntervalMs: 1_000,
      workers: 1,
      watermarks: { soft: 0.5, hard: 0.95, softExit: 0.3, hardExit: 0.9 },
      bus: null,
      scheduler: clock,
    });
    const refill: boolean[] = [];
    let refilled = false;
    coordinator.level$.subscribe((level) => {
      // The batch of 8 is written: depth 2, 'ok'. Room for 8, one of them held for the ready():
      // the first 7 come in, the 8th takes the held room (trySubmit cannot tell who called
      // ready()), and the 9th is refused.
      if (level === 'ok' && coordinator.health().written > 0 && !refilled) {
        refilled = true;
        for (let i = 0; i < 9; i++) refill.push(coordinator.trySubmit(100 + i));
      }
    });
    for (let i = 0; i < 10; i++) coordinator.trySubmit(i);
    const claimed = coordinator.ready().then(() => coordinator.trySubmit(99));
    await clock.advance(5);
    expect(refill).toEqual([true, true, true, true, true, true, true, true, false]);
    await expect(claimed).resolves.toBe(false); // the ready() caller lost the race: it loops
    const stopping = coordinator.stop({ drain: false });
    await clock.until(() => coordinator.state === 'stopped', 60_000);
    await stopping;
  });

  it('a weighed item too heavy for the steady room closes it before subscribers run', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>(() => undefined),
      capacity: 10,
      batchSize: 10,
      flushIntervalMs: 1_000,
      weigh: (item) => item,
      watermarks: { soft: 0.5, softExit: 0.4, hard: 0.9, hardExit: 0.7 },
      bus: null,
      scheduler: clock,
    });
    const nested: boolean[] = [];
    // A producer that tries once more when it hears 'hard': it must find the coordinator full.
    coordinator.level$.subscribe((level) => {
      if (level === 'hard') nested.push(coordinator.trySubmit(1));
    });
    for (let i = 0; i < 3; i++) coordinator.trySubmit(1); // weight 3; steady room 1 (soft at 5)
    expect(coordinator.trySubmit(7)).toBe(true); // weight 10: 'hard'
    expect(nested).toEqual([false]);
    expect(coordinator.health()).toMatchObject({ queuedWeight: 10, submitted: 4 });
    const stopping = coordinator.stop({ drain: false });
    await clock.until(() => coordinator.state === 'stopped', 60_000);
    await stopping;
  });

  it('a depth$ subscriber that comes while a batch settles (from writes$) leaves the level step to come', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>((resolve) => clock.schedule(resolve, 5)),
      capacity: 10,
      batchSize: 10,
      flushIntervalMs: 1_000,
      workers: 1,
      bus: null,
      scheduler: clock,
    });
    const depths: number[] = [];
    const levels: string[] = [];
    coordinator.level$.subscribe((level) => levels.push(level));
    const once = coordinator.writes$.subscribe(() => {
      once.unsubscribe();
      // Subscribing from inside a batch's settlement is the case under test.
      // eslint-disable-next-line rxjs-x/no-nested-subscribe
      coordinator.depth$.subscribe((depth) => depths.push(depth));
    });
    for (let i = 0; i < 10; i++) coordinator.trySubmit(i); // 'hard', a full batch taken at once
    await clock.advance(5); // written: the depth falls to 0
    expect(coordinator.level).toBe('ok');
    expect(levels).toEqual(['ok', 'soft', 'hard', 'ok']);
    expect(depths).toEqual([10, 0]); // the last depth announced, then the change
    await coordinator.stop();
  });

  it('refuses after stop, however much steady room there was', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => undefined,
      capacity: 1_000,
      bus: null,
      scheduler: clock,
    });
    coordinator.trySubmit(1);
    coordinator.trySubmit(2); // the fast path: room for 998 more
    const stopping = coordinator.stop();
    expect(() => coordinator.trySubmit(3)).toThrow(CoordinatorClosedError);
    await expect(coordinator.submit(4)).rejects.toThrow(CoordinatorClosedError);
    await clock.until(() => coordinator.state === 'stopped', 1_000);
    await stopping;
    // The refused submit counts; trySubmit's refusal leaves the item with its caller, uncounted.
    expect(coordinator.health()).toMatchObject({ submitted: 3, written: 2, rejected: 1 });
  });

  it('announces the level as soon as a fast run reaches a watermark', async () => {
    const coordinator = new WriteCoordinator<number>({
      sink: () => undefined,
      capacity: 100,
      batchSize: 100,
      flushIntervalMs: 1_000,
      watermarks: { soft: 0.5, softExit: 0.3, hard: 0.9, hardExit: 0.7 },
      bus: null,
      scheduler: new VirtualClock(),
    });
    const levels: [BackpressureLevel, number][] = [];
    coordinator.level$.subscribe((level) => levels.push([level, coordinator.health().queueSize]));
    for (let i = 0; i < 95; i++) coordinator.trySubmit(i);
    expect(levels).toEqual([
      ['ok', 0],
      ['soft', 50],
      ['hard', 90],
    ]);
    await coordinator.stop({ drain: false });
  });
});
