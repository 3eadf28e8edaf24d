import { describeValue } from '../internal/describe-value.js';
import { FeedbackFormatError } from '../errors/feedback-format-error.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { fromWire, toWire, type FeedbackWire } from '../feedback/wire.js';

/**
 * One coordinator's feedback as it travels between processes: the event in its wire form, with
 * the publisher that sent it (`origin`, unique per publishing process) and a sequence number that
 * grows with every envelope that publisher sends. Readers keep, per coordinator, only an envelope
 * newer than the one they hold: a higher `seq` from the same origin, or a later `event.ts` from
 * another one (a restarted publisher).
 *
 * @example
 * ```ts
 * const envelope: FeedbackEnvelope = { v: 1, origin: 'ingest-7f3a', seq: 42, event: toWire(event) };
 * ```
 */
export interface FeedbackEnvelope {
  /** Format version; always 1. */
  readonly v: 1;
  /** The publisher: unique per process (and per `publishFeedback` call by default). */
  readonly origin: string;
  /** Grows by one with every envelope this origin sends, heartbeats included. */
  readonly seq: number;
  /** The event, as `toWire` gives it. */
  readonly event: FeedbackWire;
}

/**
 * Validates a parsed envelope (for example `JSON.parse` of a Redis message) and returns it with its
 * event checked. For authors of transports.
 *
 * @throws FeedbackFormatError naming the first wrong field (`event.level`, `seq`, ...).
 * @example
 * ```ts
 * const envelope = parseFeedbackEnvelope(JSON.parse(message));
 * ```
 */
export function parseFeedbackEnvelope(value: unknown): FeedbackEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FeedbackFormatError('', `expected a feedback envelope object, found ${describeValue(value)}`);
  }
  const envelope = value as Partial<Record<keyof FeedbackEnvelope, unknown>>;
  if (envelope.v !== 1) throw new FeedbackFormatError('v', `expected 1, found ${describeValue(envelope.v)}`);
  if (typeof envelope.origin !== 'string' || envelope.origin.length === 0) {
    throw new FeedbackFormatError(
      'origin',
      `expected a non-empty string, found ${describeValue(envelope.origin)}`,
    );
  }
  if (typeof envelope.seq !== 'number' || !Number.isSafeInteger(envelope.seq) || envelope.seq < 0) {
    throw new FeedbackFormatError('seq', `expected an integer >= 0, found ${describeValue(envelope.seq)}`);
  }
  try {
    fromWire(envelope.event);
  } catch (error) {
    if (error instanceof FeedbackFormatError) {
      throw new FeedbackFormatError(error.field ? `event.${error.field}` : 'event', error.detail);
    }
    throw error;
  }
  return envelope as FeedbackEnvelope;
}

/** @internal Builds the envelope `publishFeedback` sends. */
export function toFeedbackEnvelope(origin: string, seq: number, event: FeedbackEvent): FeedbackEnvelope {
  return { v: 1, origin, seq, event: toWire(event) };
}
