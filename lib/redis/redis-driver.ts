import { FeedbackTransportError } from '../errors/feedback-transport-error.js';
import type { IoRedisClient, NodeRedisClient } from './redis-client-like.js';

/**
 * @internal What the transport needs from a Redis client pair, written once per client library
 * so that the transport itself is one piece of code.
 */
export interface RedisDriver {
  /** `MULTI; HSET key field value; PUBLISH channel value; EXEC`. */
  setAndPublish(key: string, field: string, channel: string, value: string): Promise<void>;
  readAll(key: string): Promise<Array<[string, string]>>;
  /**
   * Subscribes `channel` on the subscriber connection; resolves once Redis confirmed it. After
   * every later reconnect, `onResubscribed` is called once the subscription is live again.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onResubscribed: () => void): Promise<void>;
  /** Undoes `subscribe` and closes the subscriber connection if the driver created it. */
  release(): Promise<void>;
  /** Attaches `listener` to the `error` event of every client used; returns the detacher. */
  watchErrors(listener: (error: unknown) => void): () => void;
}

/** @internal */
export function ioRedisDriver(client: IoRedisClient, given: IoRedisClient | undefined): RedisDriver {
  let subscriber: IoRedisClient | undefined = given;
  let channel: string | undefined;
  let onMessage: ((channel: string, message: string) => void) | undefined;
  let onReady: (() => void) | undefined;
  let errorListener: ((error: unknown) => void) | undefined;
  const own = given === undefined;
  const subscriberConnection = (): IoRedisClient => {
    if (!subscriber) {
      subscriber = client.duplicate();
      if (errorListener) subscriber.on('error', errorListener);
    }
    return subscriber;
  };
  return {
    async setAndPublish(key, field, target, value) {
      const replies = await client.multi().hset(key, field, value).publish(target, value).exec();
      if (replies === null) {
        throw new FeedbackTransportError(
          'publish',
          'expected EXEC to run the MULTI of HSET and PUBLISH, found it aborted (a WATCHed key changed)',
        );
      }
      for (const [error] of replies) if (error) throw error;
    },
    async readAll(key) {
      return Object.entries(await client.hgetall(key));
    },
    async subscribe(target, deliver, onResubscribed) {
      const connection = subscriberConnection();
      channel = target;
      onMessage = (from, message) => {
        if (from === target) deliver(message);
      };
      connection.on('message', onMessage);
      await connection.subscribe(target);
      // ioredis emits 'ready' on reconnect before it re-subscribes: subscribing again (harmless
      // for a channel already subscribed) and waiting for its reply puts the resync after it.
      onReady = () => {
        connection.subscribe(target).then(onResubscribed, (error: unknown) => errorListener?.(error));
      };
      connection.on('ready', onReady);
    },
    async release() {
      const connection = subscriber;
      if (!connection) return;
      if (onMessage) connection.off('message', onMessage);
      if (onReady) connection.off('ready', onReady);
      if (own) {
        await connection.quit().catch(() => connection.disconnect());
      } else if (channel !== undefined) {
        await connection.unsubscribe(channel);
      }
    },
    watchErrors(listener) {
      errorListener = listener;
      client.on('error', listener);
      subscriber?.on('error', listener);
      return () => {
        client.off('error', listener);
        // The subscriber this driver created keeps its listener: it is closed, but a late error
        // event on it must still not be unhandled.
        if (!own) subscriber?.off('error', listener);
      };
    },
  };
}

/** @internal */
export function nodeRedisDriver(client: NodeRedisClient, given: NodeRedisClient | undefined): RedisDriver {
  let subscriber: NodeRedisClient | undefined = given;
  let channel: string | undefined;
  let listener: ((message: string, channel: string) => void) | undefined;
  let onReady: (() => void) | undefined;
  let errorListener: ((error: unknown) => void) | undefined;
  const own = given === undefined;
  return {
    async setAndPublish(key, field, target, value) {
      await client.multi().hSet(key, field, value).publish(target, value).exec();
    },
    async readAll(key) {
      const all = await client.hGetAll(key);
      return all instanceof Map ? [...all.entries()] : Object.entries(all);
    },
    async subscribe(target, deliver, onResubscribed) {
      if (!subscriber) {
        subscriber = client.duplicate();
        // node-redis throws an 'error' event without a listener: attach before connecting.
        if (errorListener) subscriber.on('error', errorListener);
      }
      const connection = subscriber;
      if (own && !connection.isOpen) await connection.connect();
      channel = target;
      listener = (message) => deliver(message);
      await connection.subscribe(target, listener);
      // node-redis re-subscribes while reconnecting and emits 'ready' once that is confirmed.
      onReady = onResubscribed;
      connection.on('ready', onReady);
    },
    async release() {
      const connection = subscriber;
      if (!connection) return;
      if (onReady) connection.off('ready', onReady);
      if (own) {
        const closing = connection.close ? connection.close() : connection.quit?.();
        await closing?.catch(() => connection.destroy?.());
      } else if (channel !== undefined && listener) {
        await connection.unsubscribe(channel, listener);
      }
    },
    watchErrors(errors) {
      errorListener = errors;
      client.on('error', errors);
      subscriber?.on('error', errors);
      return () => {
        client.off('error', errors);
        if (!own) subscriber?.off('error', errors);
      };
    },
  };
}
