import { reportUnhandledError } from '../internal/report-unhandled-error.js';
import type { FeedbackTransportError } from '../errors/feedback-transport-error.js';

/**
 * @internal The default `onError` of the fleet functions: a warning, because transport failures
 * are expected during an outage (every heartbeat fails until the server is back) and must not take
 * the process down.
 */
export function warnTransportError(error: FeedbackTransportError): void {
  console.warn(`rxjs-backpressure: ${error.message}`);
}

/** @internal Calls the user's `onError`; what it throws is reported like an observer's error. */
export function callOnError(
  onError: (error: FeedbackTransportError) => void,
  error: FeedbackTransportError,
): void {
  try {
    onError(error);
  } catch (thrown) {
    reportUnhandledError(thrown);
  }
}
