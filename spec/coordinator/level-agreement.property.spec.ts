import fc from 'fast-check';
import { Subject } from 'rxjs';
import { PressureSignal } from '../../lib/coordinator/pressure-signal.js';
import { resolveWatermarks, type Watermarks } from '../../lib/levels/watermarks.js';
import { toBackpressureLevel } from '../../lib/levels/to-backpressure-level.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import type { CircuitState } from '../../lib/circuit-breaker/circuit-breaker.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { arbitraryWatermarks } from '../support/arbitrary-watermarks.js';

// The coordinator's level tracking (PressureSignal) is the imperative twin of toBackpressureLevel:
// on any capacity, any valid watermarks and any depth sequence they must agree, except that an open
// breaker holds the coordinator at 'hard'. PressureSignal skips the level step inside a band of
// depths computed from the watermarks, so odd capacities and fractions are where they could differ.

const fraction = fc.oneof(
  fc.integer({ min: 0, max: 1_000 }).map((n) => n / 1_000),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

const watermarks = arbitraryWatermarks(fraction);

type Step = { depth: number } | { circuit: CircuitState } | { advance: number };

function steps(capacity: number, withTime: boolean): fc.Arbitrary<Step[]> {
  const kinds: fc.Arbitrary<Step>[] = [
    fc.integer({ min: 0, max: capacity + 3 }).map((depth) => ({ depth })),
    fc.integer({ min: 0, max: capacity + 3 }).map((depth) => ({ depth })),
    fc.constantFrom<CircuitState>('open', 'half-open', 'closed').map((circuit) => ({ circuit })),
  ];
  if (withTime) kinds.push(fc.integer({ min: 0, max: 120 }).map((advance) => ({ advance })));
  return fc.array(fc.oneof(...kinds), { maxLength: 80 });
}

/** Runs `steps` through a PressureSignal and through toBackpressureLevel side by side. */
async function agree(capacity: number, marks: Watermarks, run: Step[]): Promise<void> {
  const clock = new VirtualClock();
  const resolved = resolveWatermarks(marks);
  let depth = 0;
  let circuit: CircuitState = 'closed';
  const signal = new PressureSignal({
    id: 'twin',
    source: 'spec',
    capacity,
    watermarks: resolved,
    scheduler: clock,
    bus: null,
    depth: () => depth,
    circuitState: () => circuit,
    stopped: () => false,
  });
  const depths = new Subject<number>();
  let depthLevel: BackpressureLevel = 'ok';
  depths.pipe(toBackpressureLevel(capacity, marks, clock)).subscribe((l) => (depthLevel = l));
  // Both start from an empty coordinator ('soft' already when the soft watermark is 0).
  depths.next(0);
  const initial = depthLevel;
  const emitted: BackpressureLevel[] = [];
  const events: FeedbackEvent[] = [];
  signal.level$.subscribe((l) => emitted.push(l));
  signal.feedback$.subscribe((e) => events.push(e));
  const expected: BackpressureLevel[] = [initial];
  let holding = false;
  for (const step of run) {
    if ('depth' in step) {
      depth = step.depth;
      depths.next(depth);
      signal.depthChanged();
    } else if ('circuit' in step) {
      if (step.circuit === 'open') holding = true;
      if (step.circuit === 'closed') holding = false;
      if (step.circuit === 'half-open' && depth === 0) holding = false;
      circuit = step.circuit;
      signal.circuitChanged(step.circuit);
    } else {
      await clock.advance(step.advance);
    }
    const level = holding ? 'hard' : depthLevel;
    expect(signal.level).toBe(level);
    if (expected.at(-1) !== level) expected.push(level);
  }
  expect(emitted).toEqual(expected);
  // Each event starts where the one before ended.
  events.forEach((e, i) => expect(e.previousLevel).toBe(i === 0 ? initial : events[i - 1]!.level));
  signal.complete();
}

describe('PressureSignal and toBackpressureLevel agree', () => {
  it('on any capacity and watermarks, with breaker events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 200 })
          .chain((capacity) => fc.tuple(fc.constant(capacity), watermarks, steps(capacity, false))),
        async ([capacity, marks, run]) => agree(capacity, marks, run),
      ),
      { numRuns: 300 },
    );
  });

  it('with a minimum dwell time, on virtual time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 60 })
          .chain((capacity) =>
            fc.tuple(
              fc.constant(capacity),
              watermarks,
              fc.integer({ min: 1, max: 100 }),
              steps(capacity, true),
            ),
          ),
        async ([capacity, marks, minDwellMs, run]) => agree(capacity, { ...marks, minDwellMs }, run),
      ),
      { numRuns: 60 },
    );
  });

  it('on a running coordinator without a breaker, level$ is depth$ piped through toBackpressureLevel', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        watermarks,
        fc.array(fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(0)), { maxLength: 30 }),
        async (capacity, marks, bursts) => {
          const clock = new VirtualClock();
          const coordinator = new WriteCoordinator<number>({
            sink: () => new Promise<void>((resolve) => clock.schedule(resolve, 5)),
            capacity,
            watermarks: marks,
            circuitBreaker: false,
            overflow: 'drop-newest',
            flushIntervalMs: 3,
            batchSize: Math.max(1, Math.floor(capacity / 3)),
            workers: 1,
            bus: null,
            scheduler: clock,
          });
          const twin: BackpressureLevel[] = [];
          const levels: BackpressureLevel[] = [];
          coordinator.depth$.pipe(toBackpressureLevel(capacity, marks, clock)).subscribe((l) => twin.push(l));
          coordinator.level$.subscribe((l) => levels.push(l));
          for (const burst of bursts) {
            // 0: let time pass, so that batches are written and the depth falls
            if (burst === 0) await clock.advance(7);
            for (let i = 0; i < burst; i++) coordinator.trySubmit(i);
          }
          const stopping = coordinator.stop();
          await clock.until(() => coordinator.state === 'stopped', 60_000);
          await stopping;
          expect(levels).toEqual(twin);
        },
      ),
      { numRuns: 60 },
    );
  });
});
