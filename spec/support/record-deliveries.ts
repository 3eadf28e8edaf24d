import type { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import type {
  FeedbackDelivery,
  FeedbackDeliveryFailure,
} from '../../lib/webhook/http-feedback-broadcaster.js';

/** Collects a broadcaster's delivered$ and failed$ notifications into arrays, for assertions. */
export function recordDeliveries(broadcaster: HttpFeedbackBroadcaster): {
  delivered: FeedbackDelivery[];
  failed: FeedbackDeliveryFailure[];
} {
  const delivered: FeedbackDelivery[] = [];
  const failed: FeedbackDeliveryFailure[] = [];
  broadcaster.delivered$.subscribe((d) => delivered.push(d));
  broadcaster.failed$.subscribe((f) => failed.push(f));
  return { delivered, failed };
}
