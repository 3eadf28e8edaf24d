import { describeValue } from '../internal/describe-value.js';
import {
  FeedbackTransportError,
  toTransportError,
  type FeedbackTransportError as TransportError,
} from '../errors/feedback-transport-error.js';
import { parseFeedbackEnvelope, type FeedbackEnvelope } from '../fleet/feedback-envelope.js';
import type { FeedbackTransport, FeedbackTransportObserver } from '../fleet/feedback-transport.js';
import { callOnError, warnTransportError } from '../fleet/report-transport-error.js';
import { assertFunction, assertNonEmptyString } from '../internal/validate.js';
import {
  redisFlavour,
  type IoRedisClient,
  type NodeRedisClient,
  type RedisClientLike,
} from './redis-client-like.js';
import { ioRedisDriver, nodeRedisDriver, type RedisDriver } from './redis-driver.js';

/**
 * Options of {@link redisFeedbackTransport}.
 *
 * @example
 * ```ts
 * const options: RedisFeedbackTransportOptions = { client: new Redis(), prefix: 'ingest' };
 * ```
 */
export interface RedisFeedbackTransportOptions {
  /**
   * The client for commands (`MULTI`/`HSET`/`PUBLISH`/`HGETALL`), created and connected by you
   * (node-redis: after `await client.connect()`). Never closed by the transport.
   */
  readonly client: RedisClientLike;
  /**
   * A connection for `SUBSCRIBE`, of the same library; never closed by the transport. Without it
   * the transport opens one with `client.duplicate()` when first listening, and closes that one.
   */
  readonly subscriber?: RedisClientLike;
  /** Key prefix: the hash `<prefix>:levels` and the channel `<prefix>:feedback`. @default 'rxbp' */
  readonly prefix?: string;
  /**
   * Connection errors of the clients (an `error` listener is always attached, so that a lost
   * connection never becomes an unhandled `error` event) and messages that are not envelopes.
   * @default console.warn
   */
  readonly onError?: (error: TransportError) => void;
}

/**
 * Carries fleet feedback over Redis: each publish runs `MULTI; HSET <prefix>:levels <coordinator>
 * <envelope>; PUBLISH <prefix>:feedback <envelope>; EXEC`, so the hash always holds the latest
 * envelope per coordinator (the snapshot, read with `HGETALL`) and subscribers are notified.
 * Listening subscribes first and only then lets the snapshot be read, so nothing published in
 * between is missed; after every reconnect of the subscriber it asks readers to read the snapshot
 * again, which recovers whatever was published while it was away.
 *
 * Works with ioredis 5 and 6 and node-redis 5 and 6 (told apart at run time); imports neither.
 *
 * @throws TypeError when `client` (or `subscriber`) is not such a client, or an option is wrong.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { publishFeedback } from 'rxjs-backpressure';
 * import { redisFeedbackTransport } from 'rxjs-backpressure/redis';
 *
 * const transport = redisFeedbackTransport({ client: new Redis('redis://127.0.0.1:6379') });
 * publishFeedback(coordinator.feedback$, transport);
 * ```
 */
export function redisFeedbackTransport(options: RedisFeedbackTransportOptions): FeedbackTransport {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with a client, found ${describeValue(options)}`);
  }
  const { client, subscriber, prefix = 'rxbp', onError = warnTransportError } = options;
  const flavour = redisFlavour(client);
  if (flavour === null) {
    throw new TypeError(
      `client must be an ioredis or node-redis client (with multi and hgetall or hGetAll), found ${describeValue(client)}`,
    );
  }
  if (subscriber !== undefined && redisFlavour(subscriber) !== flavour) {
    throw new TypeError(
      `subscriber must be a ${flavour} client like client, found ${
        redisFlavour(subscriber) ?? describeValue(subscriber)
      }`,
    );
  }
  assertNonEmptyString('prefix', prefix);
  assertFunction('onError', onError);
  const driver: RedisDriver =
    flavour === 'ioredis'
      ? ioRedisDriver(client as unknown as IoRedisClient, subscriber as unknown as IoRedisClient | undefined)
      : nodeRedisDriver(
          client as unknown as NodeRedisClient,
          subscriber as unknown as NodeRedisClient | undefined,
        );
  return new RedisFeedbackTransport(driver, prefix, onError);
}

class RedisFeedbackTransport implements FeedbackTransport {
  private readonly levelsKey: string;
  private readonly channel: string;
  private readonly observers = new Set<FeedbackTransportObserver>();
  private subscribed: Promise<void> | null = null;
  private closed = false;
  private readonly detachErrors: () => void;

  constructor(
    private readonly driver: RedisDriver,
    prefix: string,
    private readonly onError: (error: TransportError) => void,
  ) {
    this.levelsKey = `${prefix}:levels`;
    this.channel = `${prefix}:feedback`;
    this.detachErrors = driver.watchErrors((error) =>
      callOnError(onError, toTransportError('listen', error)),
    );
  }

  async publish(envelope: FeedbackEnvelope): Promise<void> {
    this.assertOpen('publish');
    const json = JSON.stringify(envelope);
    await this.driver.setAndPublish(this.levelsKey, envelope.event.coordinator_id, this.channel, json);
  }

  async snapshot(): Promise<FeedbackEnvelope[]> {
    this.assertOpen('snapshot');
    // Subscribe first, read after: an envelope published in between then arrives as a message.
    if (this.subscribed) await this.subscribed.catch(() => undefined);
    const envelopes: FeedbackEnvelope[] = [];
    for (const [, json] of await this.driver.readAll(this.levelsKey)) {
      const envelope = this.decode(json);
      if (envelope) envelopes.push(envelope);
    }
    return envelopes;
  }

  listen(observer: FeedbackTransportObserver): { close(): void } {
    this.assertOpen('listen');
    this.observers.add(observer);
    this.subscribed ??= this.driver
      .subscribe(
        this.channel,
        (message) => {
          const envelope = this.decode(message);
          if (envelope) for (const each of [...this.observers]) each.next(envelope);
        },
        () => {
          for (const each of [...this.observers]) each.resync();
        },
      )
      .catch((error: unknown) => {
        // The client gave up connecting: nothing will arrive, say so to everyone listening.
        const failure = toTransportError('listen', error);
        this.subscribed = null;
        for (const each of [...this.observers]) each.error(failure);
        this.observers.clear();
      });
    return { close: () => void this.observers.delete(observer) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.observers.clear();
    const subscribed = this.subscribed;
    this.subscribed = null;
    try {
      if (subscribed) await subscribed;
      await this.driver.release();
    } finally {
      this.detachErrors();
    }
  }

  private decode(json: string): FeedbackEnvelope | null {
    try {
      return parseFeedbackEnvelope(JSON.parse(json));
    } catch (error) {
      callOnError(this.onError, toTransportError('message', error));
      return null;
    }
  }

  private assertOpen(operation: 'publish' | 'snapshot' | 'listen'): void {
    if (this.closed)
      throw new FeedbackTransportError(operation, 'expected an open transport, found it closed');
  }
}
