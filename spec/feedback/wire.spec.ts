import fc from 'fast-check';
import { fromWire, toWire } from '../../lib/feedback/wire.js';
import {
  createFeedbackEvent,
  reasonForTransition,
  type FeedbackEvent,
} from '../../lib/feedback/feedback-event.js';
import { FeedbackFormatError, isFeedbackFormatError } from '../../lib/errors/feedback-format-error.js';

const event: FeedbackEvent = createFeedbackEvent({
  coordinatorId: 'bars',
  level: 'hard',
  previousLevel: 'soft',
  queueSize: 8_100,
  capacity: 10_000,
  reason: 'high_watermark',
  source: 'coordinator',
  ts: 1_700_000_000_250,
});

describe('createFeedbackEvent', () => {
  it('computes utilization and freezes the event', () => {
    expect(event.utilization).toBeCloseTo(0.81);
    expect(Object.isFrozen(event)).toBe(true);
    expect(() => {
      (event as { level: string }).level = 'ok';
    }).toThrow(TypeError);
  });

  it('defaults reason to null and source to coordinator', () => {
    const e = createFeedbackEvent({
      coordinatorId: 'x',
      level: 'ok',
      previousLevel: 'soft',
      queueSize: 0,
      capacity: 5,
      ts: 0,
    });
    expect(e.reason).toBeNull();
    expect(e.source).toBe('coordinator');
    expect(e.utilization).toBe(0);
  });

  it('clamps utilization of a depth above capacity to 1', () => {
    const e = createFeedbackEvent({
      coordinatorId: 'x',
      level: 'hard',
      previousLevel: 'ok',
      queueSize: 12,
      capacity: 10,
      ts: 0,
    });
    expect(e.utilization).toBe(1);
  });

  it.each([
    [
      { coordinatorId: '' },
      'Invalid feedback event: field "coordinatorId" expected a non-empty string, found string ""',
    ],
    [
      { level: 'HARD' },
      `Invalid feedback event: field "level" expected one of 'ok', 'soft', 'hard', found string "HARD"`,
    ],
    [
      { queueSize: -1 },
      'Invalid feedback event: field "queueSize" expected an integer >= 0, found number -1',
    ],
    [{ capacity: 0 }, 'Invalid feedback event: field "capacity" expected an integer > 0, found number 0'],
    [{ ts: NaN }, 'Invalid feedback event: field "ts" expected a finite number >= 0, found number NaN'],
  ])('rejects %p naming the field', (patch, message) => {
    const build = () => createFeedbackEvent({ ...event, utilization: undefined, ...patch } as never);
    expect(build).toThrow(FeedbackFormatError);
    expect(build).toThrow(message);
  });
});

describe('reasonForTransition', () => {
  it.each([
    ['ok', 'soft', 'soft_watermark'],
    ['ok', 'hard', 'high_watermark'],
    ['soft', 'hard', 'high_watermark'],
    ['hard', 'soft', 'queue_draining'],
    ['hard', 'ok', 'queue_recovered'],
    ['soft', 'ok', 'queue_recovered'],
  ] as const)('%s -> %s is %s', (from, to, reason) => {
    expect(reasonForTransition(from, to)).toBe(reason);
  });
});

describe('toWire', () => {
  it('gives the Python original keys in snake_case with ts in seconds', () => {
    expect(toWire(event)).toEqual({
      coordinator_id: 'bars',
      level: 'hard',
      previous_level: 'soft',
      queue_size: 8_100,
      capacity: 10_000,
      utilization: 0.81,
      reason: 'high_watermark',
      source: 'coordinator',
      ts: 1_700_000_000.25,
    });
  });

  it('is JSON-ready', () => {
    expect(JSON.parse(JSON.stringify(toWire(event)))).toEqual(toWire(event));
  });
});

describe('fromWire', () => {
  it('round-trips any valid event', () => {
    const arbitrary = fc.record({
      coordinatorId: fc.string({ minLength: 1 }),
      level: fc.constantFrom('ok', 'soft', 'hard' as const),
      previousLevel: fc.constantFrom('ok', 'soft', 'hard' as const),
      capacity: fc.integer({ min: 1, max: 1_000_000 }),
      fill: fc.double({ min: 0, max: 1, noNaN: true }),
      reason: fc.option(fc.string(), { nil: null }),
      source: fc.string(),
      ts: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    });
    fc.assert(
      fc.property(arbitrary, ({ fill, capacity, ...rest }) => {
        const original = createFeedbackEvent({ ...rest, capacity, queueSize: Math.floor(fill * capacity) });
        const back = fromWire(JSON.parse(JSON.stringify(toWire(original))), { now: 4_000_000_000_000 });
        expect(back).toEqual({ ...original, ts: expect.closeTo(original.ts, 3) as number });
        expect(Object.isFrozen(back)).toBe(true);
      }),
    );
  });

  it("accepts the Python original's payload without previous_level, source or reason", () => {
    const e = fromWire({
      coordinator_id: 'store',
      level: 'soft',
      queue_size: 5,
      capacity: 10,
      utilization: 0.5,
      ts: 1.5,
    });
    expect(e).toEqual({
      coordinatorId: 'store',
      level: 'soft',
      previousLevel: 'soft',
      queueSize: 5,
      capacity: 10,
      utilization: 0.5,
      reason: null,
      source: '',
      ts: 1_500,
    });
  });

  describe('the Python market-data store payload, without ts', () => {
    const python = {
      coordinator_id: 'market-data',
      queue_size: 8_200,
      capacity: 10_000,
      level: 'hard',
      reason: 'high_watermark',
      utilization: 0.82,
    };

    it('dates it with the time of receipt', () => {
      expect(fromWire(python, { now: 1_800_000_000_000 })).toEqual({
        coordinatorId: 'market-data',
        level: 'hard',
        previousLevel: 'hard',
        queueSize: 8_200,
        capacity: 10_000,
        utilization: 0.82,
        reason: 'high_watermark',
        source: '',
        ts: 1_800_000_000_000,
      });
    });

    it("defaults the time of receipt to the reader's clock", () => {
      const before = Date.now();
      const { ts } = fromWire(python);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(Date.now());
    });

    it('still checks every other field', () => {
      expect(() => fromWire({ ...python, level: 'panic' })).toThrow('field "level"');
    });
  });

  describe('ts bounds', () => {
    const now = 1_800_000_000_000;

    it('accepts a ts up to one day ahead of the reader', () => {
      expect(fromWire({ ...toWire(event), ts: now / 1000 + 86_400 }, { now }).ts).toBe(now + 86_400_000);
    });

    it('refuses a ts more than one day ahead of the reader', () => {
      expect(() => fromWire({ ...toWire(event), ts: now / 1000 + 86_401 }, { now })).toThrow(
        'at most one day ahead',
      );
    });

    it("refuses a ts in milliseconds even when the reader's clock is far ahead", () => {
      expect(() => fromWire({ ...toWire(event), ts: 1e11 }, { now: 1e15 })).toThrow(
        'looks like milliseconds',
      );
    });

    it('refuses a bad now option with a RangeError', () => {
      expect(() => fromWire(toWire(event), { now: Number.NaN })).toThrow(RangeError);
    });
  });

  it('ignores unknown keys', () => {
    expect(fromWire({ ...toWire(event), event_type: 'backpressure' }).level).toBe('hard');
  });

  it.each([
    [null, 'Invalid feedback event: expected a JSON object, found null'],
    [[1], 'Invalid feedback event: expected a JSON object, found array of length 1'],
    ['{}', 'Invalid feedback event: expected a JSON object, found string "{}"'],
    [
      { ...toWire(event), coordinator_id: 7 },
      'field "coordinator_id" expected a non-empty string, found number 7',
    ],
    [
      { ...toWire(event), level: 'panic' },
      `field "level" expected one of 'ok', 'soft', 'hard', found string "panic"`,
    ],
    [
      { ...toWire(event), previous_level: null },
      `field "previous_level" expected one of 'ok', 'soft', 'hard', found null`,
    ],
    [{ ...toWire(event), queue_size: 1.5 }, 'field "queue_size" expected an integer >= 0, found number 1.5'],
    [{ ...toWire(event), capacity: '10' }, 'field "capacity" expected an integer > 0, found string "10"'],
    [
      { ...toWire(event), utilization: 2 },
      'field "utilization" expected a number within [0, 1], found number 2',
    ],
    [{ ...toWire(event), reason: 3 }, 'field "reason" expected a string or null, found number 3'],
    [{ ...toWire(event), source: false }, 'field "source" expected a string, found boolean false'],
    [
      { ...toWire(event), ts: '1700000000' },
      'field "ts" expected a finite number of epoch seconds >= 0 (or no ts), found string "1700000000"',
    ],
    [
      { ...toWire(event), ts: null },
      'field "ts" expected a finite number of epoch seconds >= 0 (or no ts), found null',
    ],
    [
      { ...toWire(event), ts: 1_700_000_000_250 },
      'field "ts" expected epoch seconds, found 1700000000250, which looks like milliseconds (divide it by 1000)',
    ],
    [
      { ...toWire(event), ts: Date.now() / 1000 + 86_400 + 60 },
      'field "ts" expected a time at most one day ahead of the reader\'s clock',
    ],
  ])('rejects %p with a FeedbackFormatError naming the wire field', (payload, message) => {
    let caught: unknown;
    try {
      fromWire(payload);
    } catch (error) {
      caught = error;
    }
    expect(isFeedbackFormatError(caught)).toBe(true);
    expect((caught as Error).message).toContain(message);
  });
});
