import { FeedbackFormatError } from '../errors/feedback-format-error.js';
import { describeValue } from '../errors/backpressure-error.js';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { validateFeedbackEvent, type FeedbackEvent } from './feedback-event.js';

/**
 * A {@link FeedbackEvent} as JSON on the wire: the webhook payload keys of the Python market-data store's Phase 6.0A backpressure feedback, in
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
 * Validates a parsed wire payload and returns the frozen {@link FeedbackEvent} it describes.
 * Unknown keys are ignored. For payloads of the Python market-data store, which may lack them, a missing
 * `previous_level` reads as `level`, a missing `reason` as `null` and a missing `source` as `''`.
 *
 * @throws FeedbackFormatError naming the first wrong field (in snake_case).
 * @example
 * ```ts
 * const event = fromWire(JSON.parse(body)); // throws FeedbackFormatError on bad input
 * ```
 */
export function fromWire(payload: unknown): FeedbackEvent {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new FeedbackFormatError('', `expected a JSON object, found ${describeValue(payload)}`);
  }
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
    ts: typeof ts === 'number' ? ts * 1000 : ts,
  } as FeedbackEvent;
  // Report ts in the wire's own unit, not the converted one.
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
    throw new FeedbackFormatError(
      'ts',
      `expected a finite number of epoch seconds >= 0, found ${describeValue(ts)}`,
    );
  }
  validateFeedbackEvent(event, WIRE_NAMES);
  return Object.freeze(event);
}
