import { filter } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { manualClock } from './manual-clock.js';

export class ConnectionResetError extends Error {
  override name = 'ConnectionResetError';
  readonly retryable = true;
}
export class ConstraintError extends Error {
  override name = 'ConstraintError';
  readonly retryable = false;
}

/**
 * A coordinator built for the metrics specs, and a script to run it through: 100 items written (the
 * first batch after two failures that open the breaker and a probe that closes it), then 5 items
 * dead-lettered as non-retryable. Its clock moves only inside the sink, so every duration, and the
 * time in each level, is the same on every run:
 *
 * - t = 0..1000 ms ok; at 1000 ms 100 items are submitted: soft (50 % of 200);
 * - the first batch fails at 1100 and 1200 ms: the breaker opens (hard); the probe stores it at
 *   1250 ms: closed (soft); batches 2..10 take 10 ms each; at 1270 ms the depth is 70: ok;
 * - at 1340 ms the 5 poison items go in one batch, refused at 1350 ms.
 */
export function scriptedCoordinator(id = 'ticks') {
  const clock = manualClock();
  const bus = new FeedbackBus();
  bus.subscribe(() => undefined); // one subscriber: mds_feedback_subscribers 1
  let calls = 0;
  const coordinator = new WriteCoordinator<number>({
    id,
    sink: (batch) => {
      calls++;
      if (batch.some((item) => item < 0)) {
        clock.advance(10);
        throw new ConstraintError('duplicate key');
      }
      if (calls <= 2) {
        clock.advance(100);
        throw new ConnectionResetError('connection reset by peer');
      }
      clock.advance(calls === 3 ? 50 : 10);
    },
    capacity: 200,
    workers: 1,
    batchSize: 10,
    flushIntervalMs: 0,
    retry: { maxAttempts: 3, initialBackoffMs: 1, jitter: false },
    circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 5 },
    bus,
    scheduler: clock.scheduler,
  });
  return {
    coordinator,
    bus,
    clock,
    /** Calls `listener` synchronously when the breaker opens (while it is open). */
    onCircuitOpen(listener: () => void) {
      return coordinator.feedback$.pipe(filter((e) => e.reason === 'circuit_open')).subscribe(listener);
    },
    /** Runs the script to its end (100 written, 5 dead-lettered). */
    async run(): Promise<void> {
      clock.advance(1_000);
      coordinator.start();
      await coordinator.submitMany(Array.from({ length: 100 }, (_, i) => i));
      await until(() => coordinator.health().written === 100);
      await coordinator.submitMany([-1, -2, -3, -4, -5]);
      await until(() => coordinator.health().deadLettered === 5);
    },
  };
}

async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('scripted run: timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
