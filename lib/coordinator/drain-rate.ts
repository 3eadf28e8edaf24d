import { Observable, interval, type SchedulerLike } from 'rxjs';
import type { WriteRecord } from './write-record.js';

/**
 * How often the drain rate is sampled, in ms: ten samples per smoothing window, so one late batch
 * moves the estimate by about a tenth of its weight.
 */
export const DRAIN_RATE_SAMPLE_MS = 100;

/**
 * The smoothing window of the drain rate, in ms: the time constant of its exponentially weighted
 * moving average. One second follows a change of the store's speed within about a second (63 % of
 * a step after 1 s, 95 % after 3 s) while averaging out the batch-by-batch jitter of a store that
 * writes a few batches per second.
 */
export const DRAIN_RATE_WINDOW_MS = 1_000;

/**
 * @internal Items written per second, smoothed: every {@link DRAIN_RATE_SAMPLE_MS} the items of the
 * batches `writes$` reported written in that sample become a rate, folded into an exponentially
 * weighted moving average with time constant {@link DRAIN_RATE_WINDOW_MS}
 * (`alpha = 1 - exp(-sample / window)`). The average starts at 0 and is bias-corrected as Adam's
 * moment estimates are (divided by `1 - (1 - alpha)^n` after `n` samples), so the first samples
 * report the rate seen so far rather than a value dragged towards 0.
 *
 * Emits 0 on subscribe, then one estimate per sample. Each subscription measures from its own
 * start. Completes and errors with `writes$`; unsubscribing stops its timer.
 */
export function drainRateOf(writes$: Observable<WriteRecord>, scheduler: SchedulerLike): Observable<number> {
  const alpha = 1 - Math.exp(-DRAIN_RATE_SAMPLE_MS / DRAIN_RATE_WINDOW_MS);
  return new Observable<number>((subscriber) => {
    let itemsThisSample = 0;
    let average = 0;
    let decay = 1; // (1 - alpha)^n: the weight still missing after n samples
    subscriber.next(0);
    subscriber.add(
      writes$.subscribe({
        next: (record) => {
          if (record.outcome === 'written') itemsThisSample += record.size;
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
    subscriber.add(
      interval(DRAIN_RATE_SAMPLE_MS, scheduler).subscribe(() => {
        const rate = (itemsThisSample * 1_000) / DRAIN_RATE_SAMPLE_MS;
        itemsThisSample = 0;
        average += alpha * (rate - average);
        decay *= 1 - alpha;
        subscriber.next(average / (1 - decay));
      }),
    );
  });
}
