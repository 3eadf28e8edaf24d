import * as core from '../lib/index.js';
import * as testing from '../lib/testing/index.js';
import * as webhook from '../lib/webhook/index.js';
import * as node from '../lib/node/index.js';
import * as redis from '../lib/redis/index.js';
import * as nats from '../lib/nats/index.js';
import * as prometheus from '../lib/prometheus/index.js';
import * as otel from '../lib/otel/index.js';

// Pins every entry point's runtime export list: adding or removing a public name must be a
// deliberate change to this file (and to CHANGELOG.md). Types are checked by the compiler instead.
const sorted = (entry: object) => Object.keys(entry).sort();

describe('public API', () => {
  it("pins 'rxjs-backpressure'", () => {
    expect(sorted(core)).toEqual([
      'BACKPRESSURE_LEVELS',
      'BUFFER_OVERFLOW_STRATEGIES',
      'BackpressureError',
      'BoundedQueue',
      'BufferOverflowError',
      'CircuitBreaker',
      'CoordinatorClosedError',
      'DEFAULT_RATE_SCALE',
      'DEFAULT_WATERMARKS',
      'DuplicateCoordinatorIdError',
      'FeedbackBus',
      'FeedbackFormatError',
      'FeedbackListenerError',
      'FeedbackTransportError',
      'ItemTooHeavyError',
      'MemoryDeadLetterQueue',
      'OVERFLOW_STRATEGIES',
      'QueueClosedError',
      'QueueFullError',
      'QueueTimeoutError',
      'RateController',
      'RetryPolicy',
      'WriteCoordinator',
      'WriteTimeoutError',
      'aimdRate',
      'bridgeFeedback',
      'compareLevels',
      'createFeedbackEvent',
      'defaultIsRetryable',
      'feedbackBus',
      'fromTransport',
      'fromWire',
      'isBackpressureError',
      'isBackpressureLevel',
      'isBufferOverflowError',
      'isCoordinatorClosedError',
      'isDuplicateCoordinatorIdError',
      'isFeedbackFormatError',
      'isFeedbackListenerError',
      'isFeedbackTransportError',
      'isItemTooHeavyError',
      'isQueueClosedError',
      'isQueueFullError',
      'isQueueTimeoutError',
      'isWriteTimeoutError',
      'levelOf',
      'matchDrainRate',
      'maxLevel',
      'nextLevel',
      'pace',
      'pacedInterval',
      'parseFeedbackEnvelope',
      'pauseOn',
      'pauseWhile',
      'publishFeedback',
      'reasonForTransition',
      'resolveWatermarks',
      'submitTo',
      'throttleByLevel',
      'toBackpressureLevel',
      'toErrorSummary',
      'toFeedbackEvents',
      'toRetryPolicy',
      'toWire',
      'toWritableStream',
      'worstLevel',
    ]);
  });

  it("pins 'rxjs-backpressure/testing'", () => {
    expect(sorted(testing)).toEqual([
      'DIGIT_VALUES',
      'FakeDepthQueue',
      'LEVEL_VALUES',
      'createTestScheduler',
      'levelsOf',
    ]);
  });

  it("pins 'rxjs-backpressure/webhook'", () => {
    expect(sorted(webhook)).toEqual([
      'AlreadyStartedError',
      'FEEDBACK_SIGNATURE_HEADER',
      'FeedbackStreamError',
      'HttpFeedbackBroadcaster',
      'WebhookDeliveryError',
      'fromFeedbackEvents',
      'isAlreadyStartedError',
      'isFeedbackStreamError',
      'isWebhookDeliveryError',
      'signFeedback',
      'verifyFeedbackSignature',
    ]);
  });

  it("pins 'rxjs-backpressure/node'", () => {
    expect(sorted(node)).toEqual([
      'DeadLetterRemovalError',
      'FileDeadLetterQueue',
      'coordinatorOptionsFromEnv',
      'createFeedbackReceiver',
      'isDeadLetterRemovalError',
      'serveFeedbackEvents',
      'toNodeWritable',
    ]);
  });

  it("pins 'rxjs-backpressure/redis'", () => {
    expect(sorted(redis)).toEqual(['redisFeedbackTransport']);
  });

  it("pins 'rxjs-backpressure/nats'", () => {
    expect(sorted(nats)).toEqual(['natsKvFeedbackTransport']);
  });

  it("pins 'rxjs-backpressure/prometheus'", () => {
    expect(sorted(prometheus)).toEqual(['registerCoordinatorMetrics']);
  });

  it("pins 'rxjs-backpressure/otel'", () => {
    expect(sorted(otel)).toEqual(['instrumentCoordinators']);
  });

  it('gives every exported class and function of the core entry a name', () => {
    for (const [name, value] of Object.entries(core)) {
      if (typeof value === 'function') expect(value.name).toBe(name);
    }
  });
});
