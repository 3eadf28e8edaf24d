import type { FeedbackEnvelope } from './feedback-envelope.js';

/**
 * What a {@link FeedbackTransport} calls while listening.
 *
 * @example
 * ```ts
 * const observer: FeedbackTransportObserver = {
 *   next: (envelope) => console.log(envelope.event.coordinator_id, envelope.event.level),
 *   resync: () => console.log('reconnected: read the snapshot again'),
 *   error: (error) => console.error('listening stopped for good', error),
 * };
 * ```
 */
export interface FeedbackTransportObserver {
  /** An envelope arrived (it may be older than one already seen: readers dedupe). */
  next(envelope: FeedbackEnvelope): void;
  /** The transport reconnected and may have missed envelopes: read `snapshot()` again. */
  resync(): void;
  /** Listening failed for good (the transport was closed, say); nothing more will arrive. */
  error(error: unknown): void;
}

/**
 * Carries feedback envelopes between processes: a store of the latest envelope per coordinator
 * plus a notification channel. Each coordinator's key has a single writer (the process that runs
 * it); there are no shared counters and no locks, so a transport only needs "set and notify" and
 * "read all". `rxjs-backpressure/redis` and `rxjs-backpressure/nats` provide two.
 *
 * @example
 * ```ts
 * const inMemory = (): FeedbackTransport => {
 *   const latest = new Map<string, FeedbackEnvelope>();
 *   const observers = new Set<FeedbackTransportObserver>();
 *   return {
 *     publish: async (envelope) => {
 *       latest.set(envelope.event.coordinator_id, envelope);
 *       for (const observer of observers) observer.next(envelope);
 *     },
 *     snapshot: async () => [...latest.values()],
 *     listen: (observer) => (observers.add(observer), { close: () => void observers.delete(observer) }),
 *     close: async () => observers.clear(),
 *   };
 * };
 * ```
 */
export interface FeedbackTransport {
  /** Stores `envelope` as the latest for its coordinator and notifies listeners. */
  publish(envelope: FeedbackEnvelope): Promise<void>;
  /** The latest envelope of every coordinator. Waits for a pending `listen` to be live first. */
  snapshot(): Promise<FeedbackEnvelope[]>;
  /** Starts delivering envelopes to `observer` until `close()`. */
  listen(observer: FeedbackTransportObserver): { close(): void };
  /** Stops listening and releases what the transport created; never closes the user's clients. */
  close(): Promise<void>;
}
