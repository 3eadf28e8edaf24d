// Public API of `rxjs-backpressure/redis`: fleet feedback over Redis. Takes the ioredis or
// node-redis client you created; imports neither library itself.

export { redisFeedbackTransport, type RedisFeedbackTransportOptions } from './redis-feedback-transport.js';
export type { RedisClientLike } from './redis-client-like.js';
