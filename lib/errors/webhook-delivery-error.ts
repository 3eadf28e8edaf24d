import { BackpressureError } from './backpressure-error.js';
import { messageOf } from '../internal/message-of.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * How a webhook delivery failed: an HTTP status that is not 2xx (`'status'`), a redirect (never
 * followed: a signed request must not be replayed to another host), no response (`'network'`), no
 * response within `timeoutMs` (`'timeout'`), `stop()` (`'aborted'`), or a request that could not be
 * signed, so was not sent (`'signing'`: no WebCrypto, as on a browser page not served over https).
 *
 * @example
 * ```ts
 * const transient: WebhookFailureKind[] = ['network', 'timeout'];
 * ```
 */
export type WebhookFailureKind = 'status' | 'redirect' | 'network' | 'timeout' | 'aborted' | 'signing';

/**
 * Why `HttpFeedbackBroadcaster` could not deliver an event, as reported on its `failed$`. It tells the
 * kind of the last failure, the HTTP status if one came back, and how many attempts were made.
 *
 * @example
 * ```ts
 * broadcaster.failed$.subscribe(({ error }) => {
 *   if (isWebhookDeliveryError(error) && error.kind === 'status') alert(`webhook answered ${error.status}`);
 * });
 * ```
 */
export class WebhookDeliveryError extends BackpressureError {
  readonly isWebhookDeliveryError = true;
  override name = 'WebhookDeliveryError';

  constructor(
    /** How the last attempt failed. */
    readonly kind: WebhookFailureKind,
    /** The HTTP status of the last attempt, or `null` when none came back. */
    readonly status: number | null,
    /** How many requests were made. */
    readonly attempts: number,
    /** The endpoint, without its query string (which may hold credentials). */
    readonly url: string,
    cause?: unknown,
  ) {
    super(
      `Webhook delivery to ${url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ` +
        `expected a 2xx response, found ${describeFailure(kind, status, cause)}.`,
      { cause },
    );
  }
}

function describeFailure(kind: WebhookFailureKind, status: number | null, cause: unknown): string {
  switch (kind) {
    case 'status':
      return `HTTP ${String(status)}`;
    case 'redirect':
      return `a redirect (HTTP ${String(status)}), which is not followed`;
    case 'timeout':
      return 'no response before the timeout';
    case 'aborted':
      return 'the request aborted by stop()';
    case 'signing':
      return `no request sent: signing it failed (${messageOf(cause)})`;
    default:
      return `a network error (${messageOf(cause)})`;
  }
}

/**
 * Tells whether `error` is a {@link WebhookDeliveryError}.
 *
 * @example
 * ```ts
 * if (isWebhookDeliveryError(error)) console.warn(error.kind, error.status, error.attempts);
 * ```
 */
export function isWebhookDeliveryError(error: unknown): error is WebhookDeliveryError {
  return hasBrand(error, 'isWebhookDeliveryError');
}
