import { Redis as IoRedis6 } from 'ioredis';
import { Redis as IoRedis5 } from 'ioredis-5';
import { createClient as createNodeRedis6 } from 'redis';
import { createClient as createNodeRedis5 } from 'redis-5';
import type { RedisClientLike } from '../../lib/redis/redis-client-like.js';

export const REDIS_PORT = 6379;

/** One Redis client library under test, with what the specs need beyond the transport. */
export interface RedisClientKind {
  name: string;
  /** A connected client, named so that the specs can find (and kill) only their own connections. */
  connect(connectionName?: string): Promise<RedisClientLike>;
  /** Sends a raw command. */
  command(client: RedisClientLike, args: string[]): Promise<unknown>;
  close(client: RedisClientLike): Promise<void>;
}

type IoRedisOptions = { host: string; port: number; connectionName?: string; lazyConnect: boolean };
const ioredis = (
  name: string,
  create: (options: IoRedisOptions) => IoRedis6 | IoRedis5,
): RedisClientKind => ({
  name,
  async connect(connectionName) {
    const client = create({ host: '127.0.0.1', port: REDIS_PORT, connectionName, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  },
  command: (client, [command, ...args]) => (client as IoRedis6).call(command!, ...args),
  close: async (client) => {
    await (client as IoRedis6).quit();
  },
});

type NodeRedisClient = ReturnType<typeof createNodeRedis6>;
type NodeRedisOptions = { url: string; name?: string };
const nodeRedis = (
  name: string,
  create: (
    options: NodeRedisOptions,
  ) => ReturnType<typeof createNodeRedis6> | ReturnType<typeof createNodeRedis5>,
): RedisClientKind => ({
  name,
  async connect(connectionName) {
    const client = create({ url: `redis://127.0.0.1:${REDIS_PORT}`, name: connectionName });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  },
  command: (client, args) => (client as unknown as NodeRedisClient).sendCommand(args),
  close: async (client) => {
    const c = client as unknown as NodeRedisClient;
    await c.close();
  },
});

export const REDIS_CLIENTS: RedisClientKind[] = [
  ioredis('ioredis 6', (options) => new IoRedis6(options)),
  ioredis('ioredis 5', (options) => new IoRedis5(options)),
  nodeRedis('node-redis 6', (options) => createNodeRedis6(options)),
  nodeRedis('node-redis 5', (options) => createNodeRedis5(options)),
];
