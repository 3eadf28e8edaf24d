// Public API of `rxjs-backpressure` (the core: runs in browsers and Node). Names are listed one by
// one so that the export list is deliberate; spec/public-api.spec.ts pins it.

// --- errors ---
export { BackpressureError, isBackpressureError } from './errors/backpressure-error.js';
export { QueueFullError, isQueueFullError } from './errors/queue-full-error.js';
export { QueueClosedError, isQueueClosedError } from './errors/queue-closed-error.js';
export { QueueTimeoutError, isQueueTimeoutError } from './errors/queue-timeout-error.js';
export { ItemTooHeavyError, isItemTooHeavyError } from './errors/item-too-heavy-error.js';
export { FeedbackFormatError, isFeedbackFormatError } from './errors/feedback-format-error.js';
export { FeedbackListenerError, isFeedbackListenerError } from './errors/feedback-listener-error.js';

// --- levels ---
export {
  BACKPRESSURE_LEVELS,
  compareLevels,
  isBackpressureLevel,
  maxLevel,
  type BackpressureLevel,
} from './levels/backpressure-level.js';
export {
  DEFAULT_WATERMARKS,
  nextLevel,
  resolveWatermarks,
  type ResolvedWatermarks,
  type Watermarks,
} from './levels/watermarks.js';
export { toBackpressureLevel } from './levels/to-backpressure-level.js';
export { toFeedbackEvents, type ToFeedbackEventsOptions } from './levels/to-feedback-events.js';

// --- feedback ---
export {
  createFeedbackEvent,
  reasonForTransition,
  type FeedbackEvent,
  type FeedbackEventInit,
  type FeedbackReason,
} from './feedback/feedback-event.js';
export { fromWire, toWire, type FeedbackWire, type FromWireOptions } from './feedback/wire.js';
export { FeedbackBus, feedbackBus, type FeedbackListener } from './feedback/feedback-bus.js';

// --- fleet (feedback across processes) ---
export { parseFeedbackEnvelope, type FeedbackEnvelope } from './fleet/feedback-envelope.js';
export type { FeedbackTransport, FeedbackTransportObserver } from './fleet/feedback-transport.js';
export { publishFeedback, type PublishFeedbackOptions } from './fleet/publish-feedback.js';
export { fromTransport, type FromTransportOptions } from './fleet/from-transport.js';
export { bridgeFeedback, type BridgeFeedbackOptions } from './fleet/bridge-feedback.js';
export {
  FeedbackTransportError,
  isFeedbackTransportError,
  type FeedbackTransportOperation,
} from './errors/feedback-transport-error.js';

// --- queue ---
export {
  BoundedQueue,
  OVERFLOW_STRATEGIES,
  type BoundedQueueOptions,
  type Dropped,
  type OfferOptions,
  type OverflowStrategy,
} from './queue/bounded-queue.js';

// --- coordinator ---
export { WriteCoordinator } from './coordinator/write-coordinator.js';
export { submitTo, type SubmitToOptions } from './coordinator/submit-to.js';
export { toWritableStream } from './coordinator/to-writable-stream.js';
export type { CoordinatorStreamOptions } from './coordinator/coordinator-stream-options.js';
export type { Sink, SinkFunction, WriteContext } from './coordinator/sink.js';
export type {
  AdaptiveWorkers,
  ReadyOptions,
  SubmitOptions,
  WriteCoordinatorOptions,
} from './coordinator/write-coordinator-options.js';
export type { CoordinatorHealth, CoordinatorState } from './coordinator/coordinator-health.js';
export type { StopOptions, StopReport } from './coordinator/stop-report.js';
export type { WriteRecord } from './coordinator/write-record.js';
export type { CoordinatorErrorReport } from './coordinator/coordinator-error-report.js';
export { CoordinatorClosedError, isCoordinatorClosedError } from './errors/coordinator-closed-error.js';
export {
  DuplicateCoordinatorIdError,
  isDuplicateCoordinatorIdError,
} from './errors/duplicate-coordinator-id-error.js';
export { WriteTimeoutError, isWriteTimeoutError } from './errors/write-timeout-error.js';
export { defaultIsRetryable } from './retry/is-retryable.js';
export { RetryPolicy, toRetryPolicy, type RetryOptions, type RetryPolicyLike } from './retry/retry-policy.js';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitPermit,
  type CircuitState,
} from './circuit-breaker/circuit-breaker.js';
export {
  toErrorSummary,
  type DeadLetterQueue,
  type DeadLetterReason,
  type DeadLetterRecord,
} from './dead-letter/dead-letter-record.js';
export { MemoryDeadLetterQueue } from './dead-letter/memory-dead-letter-queue.js';

// --- pacing ---
export { BufferOverflowError, isBufferOverflowError } from './errors/buffer-overflow-error.js';
export {
  BUFFER_OVERFLOW_STRATEGIES,
  type BufferOverflow,
  type PacingBufferOptions,
} from './pacing/paced-buffer.js';
export { pauseWhile, type PauseWhileOptions } from './pacing/pause-while.js';
export { pauseOn, type PauseOnOptions } from './pacing/pause-on.js';
export { throttleByLevel, type ThrottleByLevelOptions } from './pacing/throttle-by-level.js';
export { pacedInterval, type PacedIntervalPeriods } from './pacing/paced-interval.js';
export {
  DEFAULT_RATE_SCALE,
  RateController,
  type RateControllerOptions,
  type RateScale,
} from './pacing/rate-controller.js';
export { pace, type PaceOptions } from './pacing/pace.js';
export { aimdRate, type AimdRateOptions } from './pacing/aimd-rate.js';
export {
  matchDrainRate,
  type DrainRateSource,
  type MatchDrainRateOptions,
} from './pacing/match-drain-rate.js';
export { levelOf } from './pacing/level-of.js';
export { worstLevel } from './pacing/worst-level.js';
