// Public API of `rxjs-backpressure/node`: the parts that need Node's own modules. Names are listed
// one by one; spec/public-api.spec.ts pins them.

// --- dead letters and settings ---
export {
  FileDeadLetterQueue,
  type FileDeadLetterQueueOptions,
  type ResubmitResult,
  type ResubmitTarget,
} from './file-dead-letter-queue.js';
export { DeadLetterRemovalError, isDeadLetterRemovalError } from '../errors/dead-letter-removal-error.js';
export {
  coordinatorOptionsFromEnv,
  type CoordinatorEnvOptions,
  type CoordinatorEnvReadOptions,
} from './coordinator-options-from-env.js';

// --- streams ---
export { toNodeWritable } from './to-node-writable.js';

// --- webhook receiver and server-sent events ---
export {
  createFeedbackReceiver,
  type FeedbackReceiver,
  type FeedbackReceiverOptions,
  type FeedbackRejection,
} from './feedback-receiver.js';
export {
  serveFeedbackEvents,
  type FeedbackEventsHandler,
  type ServeFeedbackEventsOptions,
} from './serve-feedback-events.js';
