/**
 * A Redis client this library can drive: an ioredis `Redis` (5 or 6) or a node-redis client from
 * `createClient()` (5 or 6). Only the commands the feedback transport needs are used; which client
 * it is is told at run time from its methods (`hGetAll` for node-redis, `hgetall` for ioredis).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: RedisClientLike = new Redis();
 * ```
 */
export interface RedisClientLike {
  duplicate(...args: never[]): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

type Listener = (...args: never[]) => void;

/** @internal The ioredis methods used. */
export interface IoRedisClient {
  status: string;
  multi(): IoRedisMulti;
  hgetall(key: string): Promise<Record<string, string>>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  duplicate(): IoRedisClient;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** @internal */
export interface IoRedisMulti {
  hset(key: string, field: string, value: string): IoRedisMulti;
  publish(channel: string, message: string): IoRedisMulti;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** @internal The node-redis methods used. */
export interface NodeRedisClient {
  isOpen: boolean;
  multi(): NodeRedisMulti;
  hGetAll(key: string): Promise<Record<string, string> | Map<string, string>>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  duplicate(): NodeRedisClient;
  connect(): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
  destroy?(): void;
}

/** @internal */
export interface NodeRedisMulti {
  hSet(key: string, field: string, value: string): NodeRedisMulti;
  publish(channel: string, message: string): NodeRedisMulti;
  exec(): Promise<unknown>;
}

/** @internal Which client `value` is, from its methods; `null` for neither. */
export function redisFlavour(value: unknown): 'node-redis' | 'ioredis' | null {
  if (typeof value !== 'object' || value === null) return null;
  const client = value as Record<string, unknown>;
  if (typeof client.hGetAll === 'function' && typeof client.multi === 'function') return 'node-redis';
  if (typeof client.hgetall === 'function' && typeof client.multi === 'function') return 'ioredis';
  return null;
}
