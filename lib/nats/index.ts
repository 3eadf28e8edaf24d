// Public API of `rxjs-backpressure/nats`: fleet feedback over a NATS JetStream key-value bucket.
// Needs the optional peers `@nats-io/kv` and `@nats-io/transport-node`.

export {
  natsKvFeedbackTransport,
  type NatsKvFeedbackTransportOptions,
} from './nats-kv-feedback-transport.js';
