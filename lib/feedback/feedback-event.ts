import { isBackpressureLevel, type BackpressureLevel } from '../levels/backpressure-level.js';
import { FeedbackFormatError } from '../errors/feedback-format-error.js';
import { describeValue } from '../internal/describe-value.js';

/**
 * Why a level changed. The named reasons are the ones this library emits; any other string is
 * accepted so that receivers keep working when a newer sender adds a reason.
 *
 * @example
 * ```ts
 * const reason: FeedbackReason = 'circuit_open';
 * ```
 */
export type FeedbackReason =
  | 'high_watermark'
  | 'soft_watermark'
  | 'queue_draining'
  | 'queue_recovered'
  | 'circuit_open'
  | 'circuit_half_open'
  | 'circuit_closed'
  | 'feedback_stale'
  | (string & {});

/**
 * One change of a coordinator's backpressure level (or of its cause). Events are frozen.
 *
 * @example
 * ```ts
 * bus.subscribe((event: FeedbackEvent) => {
 *   console.log(`${event.coordinatorId}: ${event.previousLevel} -> ${event.level} (${event.reason})`);
 * });
 * ```
 */
export interface FeedbackEvent {
  /** Which coordinator (or queue) the event is about. */
  readonly coordinatorId: string;
  /** The level now. */
  readonly level: BackpressureLevel;
  /** The level before this event. */
  readonly previousLevel: BackpressureLevel;
  /** Items the coordinator holds: queued plus in flight. */
  readonly queueSize: number;
  /** The coordinator's capacity. */
  readonly capacity: number;
  /** `queueSize / capacity`, clamped to [0, 1]. */
  readonly utilization: number;
  /** Why the level changed, or `null` when not known. */
  readonly reason: FeedbackReason | null;
  /** Free-form name of the component that produced the event. */
  readonly source: string;
  /**
   * When the event was produced, in epoch milliseconds (scheduler time under test). For a wire
   * payload that carried no `ts` (the Python market-data store sends none), `fromWire` and the
   * webhook receiver put the time it was received here instead.
   */
  readonly ts: number;
}

/**
 * The fields of a {@link FeedbackEvent}. `utilization` is computed when left out, `reason`
 * defaults to `null` and `source` to `'coordinator'`.
 *
 * @example
 * ```ts
 * const init: FeedbackEventInit = {
 *   coordinatorId: 'db', level: 'soft', previousLevel: 'ok', queueSize: 5, capacity: 10, ts: Date.now(),
 * };
 * createFeedbackEvent(init).utilization; // 0.5
 * ```
 */
export type FeedbackEventInit = Omit<FeedbackEvent, 'utilization' | 'reason' | 'source'> &
  Partial<Pick<FeedbackEvent, 'utilization' | 'reason' | 'source'>>;

/**
 * Builds a validated, frozen {@link FeedbackEvent}.
 *
 * @throws FeedbackFormatError naming the first wrong field.
 * @example
 * ```ts
 * const event = createFeedbackEvent({
 *   coordinatorId: 'bars', level: 'hard', previousLevel: 'soft',
 *   queueSize: 8_100, capacity: 10_000, reason: 'high_watermark', ts: Date.now(),
 * });
 * event.utilization; // 0.81
 * ```
 */
export function createFeedbackEvent(init: FeedbackEventInit): FeedbackEvent {
  const event: FeedbackEvent = {
    coordinatorId: init.coordinatorId,
    level: init.level,
    previousLevel: init.previousLevel,
    queueSize: init.queueSize,
    capacity: init.capacity,
    utilization: init.utilization ?? clampUtilization(init.queueSize / init.capacity),
    reason: init.reason ?? null,
    source: init.source ?? 'coordinator',
    ts: init.ts,
  };
  validateFeedbackEvent(event, CAMEL_NAMES);
  return Object.freeze(event);
}

/** @internal Clamps a ratio into [0, 1] (a queue briefly above capacity still reads 1). */
export function clampUtilization(ratio: number): number {
  return ratio > 1 ? 1 : ratio < 0 ? 0 : ratio;
}

/**
 * The reason this library gives for a change from `previous` to `level` caused by depth.
 *
 * @example
 * ```ts
 * reasonForTransition('hard', 'soft'); // 'queue_draining'
 * ```
 */
export function reasonForTransition(
  previous: BackpressureLevel,
  level: BackpressureLevel,
): FeedbackReason | null {
  if (level === 'hard') return 'high_watermark';
  if (level === 'ok') return 'queue_recovered';
  return previous === 'hard' ? 'queue_draining' : 'soft_watermark';
}

type FieldNames = Record<keyof FeedbackEvent, string>;

/** @internal Field names as users of the camelCase API see them. */
export const CAMEL_NAMES: FieldNames = {
  coordinatorId: 'coordinatorId',
  level: 'level',
  previousLevel: 'previousLevel',
  queueSize: 'queueSize',
  capacity: 'capacity',
  utilization: 'utilization',
  reason: 'reason',
  source: 'source',
  ts: 'ts',
};

/** @internal Checks every field, reporting it under the caller's naming (camelCase or wire). */
export function validateFeedbackEvent(event: FeedbackEvent, names: FieldNames): void {
  const fail = (field: keyof FeedbackEvent, expected: string, value: unknown): never => {
    throw new FeedbackFormatError(names[field], `expected ${expected}, found ${describeValue(value)}`);
  };
  if (typeof event.coordinatorId !== 'string' || event.coordinatorId.length === 0) {
    fail('coordinatorId', 'a non-empty string', event.coordinatorId);
  }
  if (!isBackpressureLevel(event.level)) fail('level', "one of 'ok', 'soft', 'hard'", event.level);
  if (!isBackpressureLevel(event.previousLevel)) {
    fail('previousLevel', "one of 'ok', 'soft', 'hard'", event.previousLevel);
  }
  if (!isNonNegativeInteger(event.queueSize)) fail('queueSize', 'an integer >= 0', event.queueSize);
  if (!isNonNegativeInteger(event.capacity) || event.capacity === 0) {
    fail('capacity', 'an integer > 0', event.capacity);
  }
  const { utilization } = event;
  if (typeof utilization !== 'number' || !(utilization >= 0 && utilization <= 1)) {
    fail('utilization', 'a number within [0, 1]', utilization);
  }
  if (event.reason !== null && typeof event.reason !== 'string')
    fail('reason', 'a string or null', event.reason);
  if (typeof event.source !== 'string') fail('source', 'a string', event.source);
  if (typeof event.ts !== 'number' || !Number.isFinite(event.ts) || event.ts < 0) {
    fail('ts', 'a finite number >= 0', event.ts);
  }
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
