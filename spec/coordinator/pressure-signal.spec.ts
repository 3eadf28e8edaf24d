import fc from 'fast-check';
import { Subject } from 'rxjs';
import { PressureSignal } from '../../lib/coordinator/pressure-signal.js';
import { resolveWatermarks } from '../../lib/levels/watermarks.js';
import { toBackpressureLevel } from '../../lib/levels/to-backpressure-level.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import type { CircuitState } from '../../lib/circuit-breaker/circuit-breaker.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { VirtualClock } from '../support/virtual-clock.js';

function setup(capacity = 10, minDwellMs = 0, clock = new VirtualClock()) {
  let depth = 0;
  let circuit: CircuitState = 'closed';
  const bus = new FeedbackBus();
  const signal = new PressureSignal({
    id: 'p',
    source: 'spec',
    capacity,
    watermarks: resolveWatermarks({ minDwellMs }),
    scheduler: clock,
    bus,
    depth: () => depth,
    circuitState: () => circuit,
    stopped: () => false,
  });
  return {
    signal,
    bus,
    clock,
    setDepth(next: number) {
      depth = next;
      signal.depthChanged();
    },
    setCircuit(next: CircuitState) {
      circuit = next;
      signal.circuitChanged(next);
    },
  };
}

describe('PressureSignal', () => {
  it('turns depths into levels with hysteresis and publishes one event per change', () => {
    const { signal, bus, setDepth } = setup();
    const levels: BackpressureLevel[] = [];
    const events: FeedbackEvent[] = [];
    signal.level$.subscribe((l) => levels.push(l));
    bus.subscribe((e) => {
      events.push(e);
    });
    for (const d of [4, 5, 7, 8, 9, 7, 6, 4, 3, 5]) setDepth(d);
    expect(levels).toEqual(['ok', 'soft', 'hard', 'soft', 'ok', 'soft']);
    expect(events.map((e) => [e.previousLevel, e.level, e.reason, e.queueSize])).toEqual([
      ['ok', 'soft', 'soft_watermark', 5],
      ['soft', 'hard', 'high_watermark', 8],
      ['hard', 'soft', 'queue_draining', 6],
      ['soft', 'ok', 'queue_recovered', 3],
      ['ok', 'soft', 'soft_watermark', 5],
    ]);
  });

  it("starts at 'soft' when the soft watermark is 0, as toBackpressureLevel does for a first depth of 0", () => {
    const clock = new VirtualClock();
    const watermarks = { soft: 0, softExit: 0, hardExit: 0.5, hard: 0.9 };
    const signal = new PressureSignal({
      id: 'p',
      source: 'spec',
      capacity: 10,
      watermarks: resolveWatermarks(watermarks),
      scheduler: clock,
      bus: null,
      depth: () => 0,
      circuitState: () => 'closed',
      stopped: () => false,
    });
    const twin: BackpressureLevel[] = [];
    const depths = new Subject<number>();
    depths.pipe(toBackpressureLevel(10, watermarks, clock)).subscribe((l) => twin.push(l));
    depths.next(0);
    const levels: BackpressureLevel[] = [];
    signal.level$.subscribe((l) => levels.push(l));
    expect(signal.level).toBe('soft');
    expect(levels).toEqual(twin);
    expect(signal.timeInLevel()).toEqual({ ok: 0, soft: 0, hard: 0 });
    signal.complete();
  });

  it('gives depth$ subscribers the current depth, then every change', () => {
    const { signal, setDepth } = setup();
    setDepth(3);
    const depths: number[] = [];
    signal.depth$.subscribe((d) => depths.push(d));
    setDepth(4);
    setDepth(4);
    setDepth(2);
    expect(depths).toEqual([3, 4, 2]);
  });

  it("holds 'hard' while the breaker is open and returns to the depth's level when it closes", () => {
    const { signal, setDepth, setCircuit } = setup();
    const events: FeedbackEvent[] = [];
    signal.feedback$.subscribe((e) => events.push(e));
    setDepth(1);
    setCircuit('open');
    expect(signal.level).toBe('hard');
    setDepth(6);
    setCircuit('closed');
    expect(signal.level).toBe('soft');
    expect(events.map((e) => [e.level, e.reason])).toEqual([
      ['hard', 'circuit_open'],
      ['soft', 'circuit_closed'],
    ]);
  });

  it('releases the hold on half-open only when nothing is held', () => {
    const { signal, setDepth, setCircuit } = setup();
    setDepth(1);
    setCircuit('open');
    setCircuit('half-open');
    expect(signal.level).toBe('hard');
    setDepth(0);
    signal.releaseIdleHold();
    expect(signal.level).toBe('ok');
  });

  it('adds up the time in each level, the breaker hold included, and stops counting on complete', async () => {
    const { signal, clock, setDepth, setCircuit } = setup();
    await clock.advance(10);
    setDepth(6); // soft
    await clock.advance(20);
    setCircuit('open'); // hard
    await clock.advance(5);
    setCircuit('closed'); // back to soft
    await clock.advance(1);
    expect(signal.timeInLevel()).toEqual({ ok: 10, soft: 21, hard: 5 });
    signal.complete();
    await clock.advance(100);
    expect(signal.timeInLevel()).toEqual({ ok: 10, soft: 21, hard: 5 });
  });

  it('emits re-entrant changes in order, after the emission in progress', () => {
    const { signal, setDepth } = setup();
    const seen: string[] = [];
    signal.depth$.subscribe((d) => {
      seen.push(`a${d}`);
      if (d === 1) setDepth(2);
    });
    signal.depth$.subscribe((d) => seen.push(`b${d}`));
    setDepth(1);
    expect(seen).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  // The coordinator's level tracking is the imperative twin of toBackpressureLevel: on any sequence
  // of depths and breaker events, its level is toBackpressureLevel's level for the depths, or 'hard'
  // while the breaker holds it.
  it('agrees with toBackpressureLevel on random depth sequences with breaker events', () => {
    const capacity = 20;
    const step = fc.oneof(
      fc.integer({ min: 0, max: capacity + 5 }).map((depth) => ({ depth })),
      fc.constantFrom<CircuitState>('open', 'half-open', 'closed').map((circuit) => ({ circuit })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const { signal, setDepth, setCircuit } = setup(capacity);
        const depths = new Subject<number>();
        let depthLevel: BackpressureLevel = 'ok';
        depths.pipe(toBackpressureLevel(capacity)).subscribe((l) => (depthLevel = l));
        let depth = 0;
        let holding = false;
        const emitted: BackpressureLevel[] = [];
        signal.level$.subscribe((l) => emitted.push(l));
        const expected: BackpressureLevel[] = ['ok'];
        for (const s of steps) {
          if ('depth' in s) {
            depth = s.depth;
            depths.next(depth);
            setDepth(depth);
          } else {
            if (s.circuit === 'open') holding = true;
            if (s.circuit === 'closed') holding = false;
            if (s.circuit === 'half-open' && depth === 0) holding = false;
            setCircuit(s.circuit);
          }
          const level = holding ? 'hard' : depthLevel;
          expect(signal.level).toBe(level);
          if (expected[expected.length - 1] !== level) expected.push(level);
        }
        expect(emitted).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  describe('minDwellMs', () => {
    it('holds a level at least minDwellMs, then falls to the level of the depth then', async () => {
      const clock = new VirtualClock();
      const { signal, bus, setDepth } = setup(10, 50, clock);
      const levels: BackpressureLevel[] = [];
      const events: FeedbackEvent[] = [];
      signal.level$.subscribe((l) => levels.push(l));
      bus.subscribe((e) => void events.push(e));
      setDepth(9); // hard at 0
      await clock.advance(10);
      setDepth(5); // would be soft: held
      setDepth(2); // would be ok: held
      expect(levels).toEqual(['ok', 'hard']);
      await clock.advance(39);
      expect(levels).toEqual(['ok', 'hard']);
      await clock.advance(1);
      expect(levels).toEqual(['ok', 'hard', 'ok']);
      expect(events.at(-1)).toMatchObject({
        previousLevel: 'hard',
        level: 'ok',
        reason: 'queue_recovered',
        queueSize: 2,
      });
    });

    it('enters a worse level at once', () => {
      const { signal, setDepth } = setup(10, 50);
      const levels: BackpressureLevel[] = [];
      signal.level$.subscribe((l) => levels.push(l));
      setDepth(5);
      setDepth(9);
      expect(levels).toEqual(['ok', 'soft', 'hard']);
    });

    it('leaves no timer behind once completed', async () => {
      const clock = new VirtualClock();
      const { signal, setDepth } = setup(10, 50, clock);
      const levels: BackpressureLevel[] = [];
      signal.level$.subscribe((l) => levels.push(l));
      setDepth(9);
      setDepth(1);
      expect(clock.pending).toBe(1);
      signal.complete();
      expect(clock.pending).toBe(0);
      await clock.advance(100);
      expect(levels).toEqual(['ok', 'hard']);
    });
  });
});
