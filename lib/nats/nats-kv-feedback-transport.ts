import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import {
  FeedbackTransportError,
  toTransportError,
  type FeedbackTransportOperation,
} from '../errors/feedback-transport-error.js';
import { parseFeedbackEnvelope, type FeedbackEnvelope } from '../fleet/feedback-envelope.js';
import type { FeedbackTransport, FeedbackTransportObserver } from '../fleet/feedback-transport.js';
import { callOnError, warnTransportError } from '../fleet/report-transport-error.js';
import { abortableSleep } from '../internal/abortable-sleep.js';
import { assertDelayMs, assertFunction, assertScheduler } from '../internal/validate.js';
import { toKvKey } from './kv-key.js';

/**
 * Options of {@link natsKvFeedbackTransport}.
 *
 * @example
 * ```ts
 * const options: NatsKvFeedbackTransportOptions = { connection: nc, bucket: 'ingest-feedback' };
 * ```
 */
export interface NatsKvFeedbackTransportOptions {
  /**
   * A connection you created, with JetStream enabled on the server. Create it with
   * `maxReconnectAttempts: -1` (reconnect forever): a connection that gives up ends listening.
   * Never closed by the transport.
   */
  readonly connection: NatsConnection;
  /** The KV bucket (created with history 1 if missing). @default 'rxbp-feedback' */
  readonly bucket?: string;
  /** Failures of the watcher and messages that are not envelopes. @default console.warn */
  readonly onError?: (error: FeedbackTransportError) => void;
  /** Wait before re-creating a watcher that ended or failed, in ms. @default 1_000 */
  readonly rewatchDelayMs?: number;
  /**
   * Clock of the wait before re-creating a watcher: pass a virtual one (a `TestScheduler`, or any
   * `SchedulerLike`) to test a transport that re-watches without waiting in real time. `close()`
   * ends a pending wait at once.
   * @default asyncScheduler
   * @example
   * ```ts
   * const options: NatsKvFeedbackTransportOptions = { connection: nc, scheduler: asyncScheduler };
   * const transport = natsKvFeedbackTransport(options);
   * ```
   */
  readonly scheduler?: SchedulerLike;
}

const BUCKET_NAME = /^[-\w]+$/;

/**
 * Carries fleet feedback over a NATS JetStream key-value bucket: each coordinator's latest envelope
 * is the value of its key (history 1), `put` stores and notifies at once, and a KV `watch` delivers
 * the current values first and then every update. After every reconnect of the connection it asks
 * readers to read the snapshot again; a watcher that ends (the server lost its consumer) is
 * re-created, for as long as the connection lives.
 *
 * Needs `@nats-io/kv` 3 and a connection from `@nats-io/transport-node` 3 (or another NATS 3
 * transport).
 *
 * @throws TypeError or RangeError for a bad option.
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node';
 * import { natsKvFeedbackTransport } from 'rxjs-backpressure/nats';
 *
 * const connection = await connect({ servers: '127.0.0.1:4222', maxReconnectAttempts: -1 });
 * const transport = natsKvFeedbackTransport({ connection });
 * levelOf(fromTransport(transport), 'orders').subscribe((level) => console.log(level));
 * ```
 */
export function natsKvFeedbackTransport(options: NatsKvFeedbackTransportOptions): FeedbackTransport {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with a connection, found ${describeValue(options)}`);
  }
  const {
    connection,
    bucket = 'rxbp-feedback',
    onError = warnTransportError,
    rewatchDelayMs = 1_000,
    scheduler = asyncScheduler,
  } = options;
  const nc = connection as Partial<NatsConnection> | null;
  if (
    typeof nc !== 'object' ||
    nc === null ||
    typeof nc.status !== 'function' ||
    typeof nc.isClosed !== 'function'
  ) {
    throw new TypeError(
      `connection must be a NATS connection (from connect()), found ${describeValue(connection)}`,
    );
  }
  if (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket)) {
    throw new TypeError(
      `bucket must be a name of letters, digits, '-' and '_', found ${describeValue(bucket)}`,
    );
  }
  assertFunction('onError', onError);
  assertDelayMs('rewatchDelayMs', rewatchDelayMs);
  assertScheduler('scheduler', scheduler);
  return new NatsKvFeedbackTransport(connection, bucket, onError, rewatchDelayMs, scheduler);
}

interface Stoppable {
  stop(): void;
}

class NatsKvFeedbackTransport implements FeedbackTransport {
  private kv: Promise<KV> | null = null;
  private readonly observers = new Set<FeedbackTransportObserver>();
  private watching: Promise<void> | null = null;
  private watcher: Stoppable | null = null;
  private statusIterator: Stoppable | null = null;
  /** Aborted by `close()`, so that a pending wait before re-watching ends at once. */
  private readonly closing = new AbortController();
  private rewatchNow = false;
  private closed = false;

  constructor(
    private readonly connection: NatsConnection,
    private readonly bucket: string,
    private readonly onError: (error: FeedbackTransportError) => void,
    private readonly rewatchDelayMs: number,
    private readonly scheduler: SchedulerLike,
  ) {}

  async publish(envelope: FeedbackEnvelope): Promise<void> {
    this.assertOpen('publish');
    const kv = await this.open();
    await kv.put(toKvKey(envelope.event.coordinator_id), JSON.stringify(envelope));
  }

  async snapshot(): Promise<FeedbackEnvelope[]> {
    this.assertOpen('snapshot');
    const kv = await this.open();
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    const entries = await Promise.all(keys.map((key) => kv.get(key)));
    const envelopes: FeedbackEnvelope[] = [];
    for (const entry of entries) {
      if (!entry || entry.operation !== 'PUT') continue;
      const envelope = this.decode(entry.string());
      if (envelope) envelopes.push(envelope);
    }
    return envelopes;
  }

  listen(observer: FeedbackTransportObserver): { close(): void } {
    this.assertOpen('listen');
    this.observers.add(observer);
    if (!this.watching) {
      this.watching = this.watchForever();
      this.followStatus();
    }
    return { close: () => void this.observers.delete(observer) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.observers.clear();
    this.watcher?.stop();
    this.statusIterator?.stop();
    this.closing.abort();
    await this.watching;
  }

  private open(): Promise<KV> {
    this.kv ??= new Kvm(this.connection).create(this.bucket, { history: 1 }).catch((error: unknown) => {
      this.kv = null; // try again next time (JetStream may come up later)
      throw error;
    });
    return this.kv;
  }

  /** Watches the bucket; re-creates the watcher whenever it ends, until closed. */
  private async watchForever(): Promise<void> {
    while (!this.closed) {
      if (this.connection.isClosed()) {
        const failure = new FeedbackTransportError(
          'listen',
          'expected an open NATS connection, found it closed',
        );
        for (const observer of [...this.observers]) observer.error(failure);
        this.observers.clear();
        return;
      }
      try {
        const kv = await this.open();
        const entries = await kv.watch();
        this.watcher = entries;
        if (this.closed) entries.stop();
        for await (const entry of entries) {
          if (entry.operation !== 'PUT') continue;
          const envelope = this.decode(entry.string());
          if (envelope) for (const observer of [...this.observers]) observer.next(envelope);
        }
      } catch (error) {
        if (!this.closed) callOnError(this.onError, toTransportError('listen', error));
      }
      this.watcher = null;
      if (!this.closed && !this.rewatchNow) {
        await abortableSleep(this.rewatchDelayMs, this.closing.signal, this.scheduler);
      }
      this.rewatchNow = false;
    }
  }

  /** Resyncs readers after every reconnect of the connection. */
  private followStatus(): void {
    const statuses = this.connection.status();
    this.statusIterator = statuses as unknown as Stoppable;
    void (async () => {
      for await (const status of statuses) {
        if (this.closed) break;
        if (status.type !== 'reconnect') continue;
        // A fresh watcher after a reconnect, rather than trusting the old consumer survived.
        this.rewatchNow = true;
        this.watcher?.stop();
        for (const observer of [...this.observers]) observer.resync();
      }
    })().catch((error: unknown) => callOnError(this.onError, toTransportError('listen', error)));
  }

  private decode(json: string): FeedbackEnvelope | null {
    try {
      return parseFeedbackEnvelope(JSON.parse(json));
    } catch (error) {
      callOnError(this.onError, toTransportError('message', error));
      return null;
    }
  }

  private assertOpen(operation: FeedbackTransportOperation): void {
    if (this.closed)
      throw new FeedbackTransportError(operation, 'expected an open transport, found it closed');
  }
}
