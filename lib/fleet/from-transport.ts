import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { toTransportError, type FeedbackTransportError } from '../errors/feedback-transport-error.js';
import { createFeedbackEvent, type FeedbackEvent } from '../feedback/feedback-event.js';
import { fromWire } from '../feedback/wire.js';
import { assertDelayMs, assertFunction } from '../internal/validate.js';
import type { FeedbackEnvelope } from './feedback-envelope.js';
import { assertTransport } from './assert-transport.js';
import type { FeedbackTransport } from './feedback-transport.js';
import { callOnError, warnTransportError } from './report-transport-error.js';

/**
 * Options of {@link fromTransport}.
 *
 * @example
 * ```ts
 * const options: FromTransportOptions = { staleAfterMs: 10_000 };
 * ```
 */
export interface FromTransportOptions {
  /**
   * A coordinator not heard from for this long (no event, no heartbeat) is reported as `ok` with
   * reason `'feedback_stale'`: fail open. Keep it a few heartbeats long (3x by default).
   * @default 15_000
   */
  readonly staleAfterMs?: number;
  /** Clock of the staleness timers. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Called when a snapshot cannot be read or a message is not an envelope. @default console.warn */
  readonly onError?: (error: FeedbackTransportError) => void;
}

/** How long after a failed snapshot read it is tried again (until one succeeds). */
const SNAPSHOT_RETRY_MS = 1_000;

/** The reason of the synthetic `ok` that replaces a level nobody vouches for any more. */
const STALE_REASON = 'feedback_stale';

interface Known {
  origin: string;
  seq: number;
  /** The last event received (not a synthetic one). */
  event: FeedbackEvent;
  stale: boolean;
  timer: Subscription | null;
}

/**
 * The feedback events of every coordinator publishing on `transport`, ready for `levelOf` and the
 * pacing operators: `levelOf(fromTransport(transport), 'orders')`.
 *
 * On subscribe it listens first, then reads the snapshot (the latest envelope per coordinator), so
 * a late joiner starts from every coordinator's current level; it reads the snapshot again on
 * every reconnect of the transport (and again every second while a read fails). Per coordinator it keeps only what is newer than what it holds
 * (a higher `seq` from the same publisher, a later `ts` from another), and emits an event when the
 * level or its cause changes (heartbeats only keep a level fresh).
 *
 * Staleness, failing open: a coordinator silent for `staleAfterMs` becomes a synthetic `ok` with
 * reason `'feedback_stale'` (its last `queueSize` and `capacity` kept), so a crashed coordinator
 * cannot hold the fleet at `hard`; its next envelope brings its real level back. Live envelopes are
 * judged by their arrival; snapshot entries by their `ts`, so clocks across machines must agree
 * to well within `staleAfterMs`.
 *
 * Cold: each subscription listens on its own (use `share()` to fan out). Errors when the
 * transport's listening fails for good; never completes. Memory: one entry per coordinator seen.
 *
 * @throws TypeError or RangeError for a bad argument or option.
 * @example
 * ```ts
 * const level$ = levelOf(fromTransport(natsKvFeedbackTransport({ connection })), 'orders');
 * ticks$.pipe(throttleByLevel(level$)).subscribe((tick) => send(tick));
 * ```
 */
export function fromTransport(
  transport: FeedbackTransport,
  options: FromTransportOptions = {},
): Observable<FeedbackEvent> {
  return foldTransport(transport, options, undefined);
}

/**
 * @internal {@link fromTransport}, ignoring the envelopes of `ownOrigin` (a bridge's own, which
 * must not come back to it).
 */
export function foldTransport(
  transport: FeedbackTransport,
  options: FromTransportOptions,
  ownOrigin: string | undefined,
): Observable<FeedbackEvent> {
  assertTransport(transport);
  const { staleAfterMs = 15_000, scheduler = asyncScheduler, onError = warnTransportError } = options;
  assertDelayMs('staleAfterMs', staleAfterMs, { positive: true });
  assertFunction('onError', onError);

  return new Observable<FeedbackEvent>((subscriber) => {
    const known = new Map<string, Known>();
    let closed = false;
    let retry: Subscription | null = null;

    const goStale = (entry: Known): void => {
      entry.stale = true;
      entry.timer = null;
      const last = entry.event;
      subscriber.next(
        createFeedbackEvent({
          coordinatorId: last.coordinatorId,
          level: 'ok',
          previousLevel: last.level,
          queueSize: last.queueSize,
          capacity: last.capacity,
          utilization: last.utilization,
          reason: STALE_REASON,
          source: last.source,
          ts: scheduler.now(),
        }),
      );
    };

    const handle = (envelope: FeedbackEnvelope, fromSnapshot: boolean): void => {
      if (closed || envelope.origin === ownOrigin) return;
      let event: FeedbackEvent;
      try {
        event = fromWire(envelope.event);
      } catch (error) {
        callOnError(onError, toTransportError('message', error));
        return;
      }
      const entry = known.get(event.coordinatorId);
      if (entry && !isNewer(envelope, event, entry)) return;

      const now = scheduler.now();
      // A snapshot entry may be old: its own timestamp says when its publisher last vouched for
      // it (never later than now, whatever the publisher's clock says).
      const age = fromSnapshot ? Math.max(0, now - event.ts) : 0;
      const previous = entry?.event;
      const wasStale = entry?.stale ?? false;
      entry?.timer?.unsubscribe();
      const next: Known = entry ?? { origin: envelope.origin, seq: 0, event, stale: false, timer: null };
      next.origin = envelope.origin;
      next.seq = envelope.seq;
      next.event = event;
      known.set(event.coordinatorId, next);

      if (age >= staleAfterMs) {
        next.timer = null;
        if (!wasStale) goStale(next);
        return;
      }
      next.stale = false;
      next.timer = scheduler.schedule(() => goStale(next), staleAfterMs - age);
      if (!previous || wasStale || changed(previous, event)) subscriber.next(event);
    };

    const readSnapshot = (): void => {
      retry?.unsubscribe();
      retry = null;
      // A transport that throws instead of rejecting fails the same way.
      new Promise<FeedbackEnvelope[]>((resolve) => resolve(transport.snapshot())).then(
        (envelopes) => {
          for (const envelope of envelopes) handle(envelope, true);
        },
        (error: unknown) => {
          if (closed) return;
          callOnError(onError, toTransportError('snapshot', error));
          // Right after a reconnect the server may not answer yet (JetStream, a replica): try
          // again, so that what was missed is recovered without waiting for the next heartbeat.
          retry ??= scheduler.schedule(readSnapshot, SNAPSHOT_RETRY_MS);
        },
      );
    };

    const listening = transport.listen({
      next: (envelope) => handle(envelope, false),
      resync: () => {
        if (!closed) readSnapshot();
      },
      error: (error) => {
        if (!closed) subscriber.error(toTransportError('listen', error));
      },
    });
    readSnapshot();

    return () => {
      closed = true;
      for (const entry of known.values()) entry.timer?.unsubscribe();
      retry?.unsubscribe();
      listening.close();
    };
  });
}

function isNewer(envelope: FeedbackEnvelope, event: FeedbackEvent, held: Known): boolean {
  // Same publisher: its sequence orders its envelopes. Another publisher (the coordinator's process
  // restarted, or moved): only time can tell.
  return envelope.origin === held.origin ? envelope.seq > held.seq : event.ts > held.event.ts;
}

/** Whether `next` says something `previous` did not (heartbeats differ only in `ts`). */
function changed(previous: FeedbackEvent, next: FeedbackEvent): boolean {
  return (
    previous.level !== next.level ||
    previous.previousLevel !== next.previousLevel ||
    previous.reason !== next.reason ||
    previous.queueSize !== next.queueSize ||
    previous.capacity !== next.capacity ||
    previous.source !== next.source
  );
}
