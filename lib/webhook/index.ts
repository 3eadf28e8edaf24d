// Public API of `rxjs-backpressure/webhook`: posting feedback events over HTTP, and their
// signatures. Uses global `fetch` and WebCrypto only, so it runs in browsers too.

export {
  HttpFeedbackBroadcaster,
  type FeedbackDelivery,
  type FeedbackDeliveryFailure,
  type HttpFeedbackBroadcasterOptions,
} from './http-feedback-broadcaster.js';
export {
  FEEDBACK_SIGNATURE_HEADER,
  signFeedback,
  verifyFeedbackSignature,
  type SignFeedbackOptions,
  type VerifyFeedbackSignatureOptions,
} from './feedback-signature.js';
export {
  fromFeedbackEvents,
  type EventSourceConstructor,
  type EventSourceLike,
  type FromFeedbackEventsOptions,
} from './from-feedback-events.js';
export {
  WebhookDeliveryError,
  isWebhookDeliveryError,
  type WebhookFailureKind,
} from '../errors/webhook-delivery-error.js';
export { FeedbackStreamError, isFeedbackStreamError } from '../errors/feedback-stream-error.js';
export { AlreadyStartedError, isAlreadyStartedError } from '../errors/already-started-error.js';
