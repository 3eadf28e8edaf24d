import { FeedbackFormatError } from '../errors/feedback-format-error.js';
import { describeValue } from '../internal/describe-value.js';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { assertNumber } from '../internal/validate.js';
import { validateFeedbackEvent, type FeedbackEvent } from './feedback-event.js';

/**
 * A {@link FeedbackEvent} as JSON on the wire: the webhook payload keys of the Python market-data store's Phase 6.0A backpressure
 * feedback, in
 * snake_case, with `ts` in epoch **seconds** (a float).
 *
 * @example
 * ```ts
 * const payload: FeedbackWire = JSON.parse(body);
 * payload.coordinator_id;
 * ```
 */
export interface FeedbackWire {
  readonly coordinator_id: string;
  readonly level: BackpressureLevel;
  readonly previous_level: BackpressureLevel;
  readonly queue_size: number;
  readonly capacity: number;
  readonly utilization: number;
  readonly reason: string | null;
  readonly source: string;
  /** Epoch seconds. */
  readonly ts: number;
}

const WIRE_NAMES = {
  coordinatorId: 'coordinator_id',
  level: 'level',
  previousLevel: 'previous_level',
  queueSize: 'queue_size',
  capacity: 'capacity',
  utilization: 'utilization',
  reason: 'reason',
  source: 'source',
  ts: 'ts',
} as const;

/**
 * Converts an event to its JSON-ready wire form (snake_case keys, `ts` in seconds).
 *
 * @example
 * ```ts
 * await fetch(url, { method: 'POST', body: JSON.stringify(toWire(event)) });
 * ```
 */
export function toWire(event: FeedbackEvent): FeedbackWire {
  return {
    coordinator_id: event.coordinatorId,
    level: event.level,
    previous_level: event.previousLevel,
    queue_size: event.queueSize,
    capacity: event.capacity,
    utilization: event.utilization,
    reason: event.reason,
    source: event.source,
    ts: event.ts / 1000,
  };
}

/**
 * Options of {@link fromWire}.
 *
 * @example
 * ```ts
 * const options: FromWireOptions = { now: Date.now() };
 * fromWire(JSON.parse(body), options);
 * ```
 */
export interface FromWireOptions {
  /**
   * The reader's clock, in epoch ms: a payload without `ts` is dated with it (the time of receipt),
   * and a `ts` more than a day past it is refused. @default Date.now()
   */
  readonly now?: number;
}

/** How far ahead of the reader's clock a `ts` may be: clocks drift, but not by a day. */
const MAX_FUTURE_MS = 86_400_000;
/**
 * Epoch seconds at or past this (the year 5138) are taken for milliseconds sent by mistake: a `ts`
 * in ms read as seconds dates an event tens of thousands of years ahead and would win every
 * "keep the highest ts" comparison for ever.
 */
const SECONDS_THAT_LOOK_LIKE_MS = 1e11;

/**
 * Validates a parsed wire payload and returns the frozen {@link FeedbackEvent} it describes.
 * Unknown keys are ignored. For payloads of the Python market-data store's Phase 6.0A backpressure
 * feedback, which lack them, a missing `previous_level` reads as `level`, a missing `reason` as
 * `null`, a missing `source` as `''`, and a missing `ts` as the time of receipt (`options.now`).
 * A `ts` that looks like milliseconds (`>= 1e11`) or lies more than a day ahead of `options.now`
 * is refused.
 *
 * @throws FeedbackFormatError naming the first wrong field (in snake_case).
 * @example
 * ```ts
 * const event = fromWire(JSON.parse(body)); // throws FeedbackFormatError on bad input
 * ```
 */
export function fromWire(payload: unknown, options: FromWireOptions = {}): FeedbackEvent {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new FeedbackFormatError('', `expected a JSON object, found ${describeValue(payload)}`);
  }
  const { now = Date.now() } = options;
  assertNumber('now', now, 0);
  const wire = payload as Partial<Record<keyof FeedbackWire, unknown>>;
  const ts = wire.ts;
  const event = {
    coordinatorId: wire.coordinator_id,
    level: wire.level,
    previousLevel: wire.previous_level === undefined ? wire.level : wire.previous_level,
    queueSize: wire.queue_size,
    capacity: wire.capacity,
    utilization: wire.utilization,
    reason: wire.reason === undefined ? null : wire.reason,
    source: wire.source === undefined ? '' : wire.source,
    ts: ts === undefined ? now : typeof ts === 'number' ? ts * 1000 : ts,
  } as FeedbackEvent;
  // Report ts in the wire's own unit, not the converted one.
  if (ts !== undefined) checkWireTs(ts, now);
  validateFeedbackEvent(event, WIRE_NAMES);
  return Object.freeze(event);
}

function checkWireTs(ts: unknown, now: number): void {
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
    throw new FeedbackFormatError(
      'ts',
      `expected a finite number of epoch seconds >= 0 (or no ts), found ${describeValue(ts)}`,
    );
  }
  if (ts >= SECONDS_THAT_LOOK_LIKE_MS) {
    throw new FeedbackFormatError(
      'ts',
      `expected epoch seconds, found ${ts}, which looks like milliseconds (divide it by 1000)`,
    );
  }
  if (ts * 1000 > now + MAX_FUTURE_MS) {
    throw new FeedbackFormatError(
      'ts',
      `expected a time at most one day ahead of the reader's clock (${now / 1000} s), found ${ts}`,
    );
  }
}
