import { describeValue } from '../internal/describe-value.js';
import type { FeedbackTransport } from './feedback-transport.js';

/** @internal Throws a TypeError unless `value` has the methods of a {@link FeedbackTransport}. */
export function assertTransport(value: unknown): asserts value is FeedbackTransport {
  const transport = value as Partial<Record<keyof FeedbackTransport, unknown>> | null;
  const missing =
    typeof value !== 'object' || value === null
      ? null
      : (['publish', 'snapshot', 'listen', 'close'] as const).filter(
          (m) => typeof transport![m] !== 'function',
        );
  if (missing === null || missing.length > 0) {
    throw new TypeError(
      `transport must be a FeedbackTransport (publish, snapshot, listen, close), found ${
        missing === null ? describeValue(value) : `an object without ${missing.join(', ')}`
      }`,
    );
  }
}
