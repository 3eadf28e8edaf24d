import { BatchWriter, type Batch } from '../../lib/coordinator/batch-writer.js';
import { CoordinatorCounters } from '../../lib/coordinator/coordinator-counters.js';
import type { CoordinatorErrorReport } from '../../lib/coordinator/coordinator-error-report.js';
import type { SinkFunction } from '../../lib/coordinator/sink.js';
import { CircuitBreaker } from '../../lib/circuit-breaker/circuit-breaker.js';
import { RetryPolicy } from '../../lib/retry/retry-policy.js';
import type { DeadLetterReason } from '../../lib/dead-letter/dead-letter-record.js';
import { CoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { isWriteTimeoutError } from '../../lib/errors/write-timeout-error.js';
import { VirtualClock } from '../support/virtual-clock.js';

interface Outcome {
  items: number[];
  reason: DeadLetterReason | null;
  error: unknown;
  attempts: number;
  at: number;
}

function setup(write: SinkFunction<number>, options: { breaker?: boolean; maxAttempts?: number } = {}) {
  const clock = new VirtualClock();
  const outcomes: Outcome[] = [];
  const reports: CoordinatorErrorReport<number>[] = [];
  const counters = new CoordinatorCounters('w', () => 4);
  const breaker = options.breaker
    ? new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 1_000, scheduler: clock })
    : null;
  const writer = new BatchWriter<number>({
    id: 'w',
    write,
    scheduler: clock,
    breaker,
    retryPolicy: new RetryPolicy({
      maxAttempts: options.maxAttempts ?? 3,
      initialBackoffMs: 100,
      jitter: false,
    }),
    writeTimeoutMs: 1_000,
    counters,
    report: (report) => reports.push(report),
    settled: (batch: Batch<number>, reason, error) =>
      outcomes.push({ items: [...batch.items], reason, error, attempts: batch.attempts, at: clock.now() }),
  });
  return { clock, writer, outcomes, reports, counters, breaker };
}

class Transient extends Error {
  readonly retryable = true;
}
class Permanent extends Error {
  readonly retryable = false;
}

describe('BatchWriter', () => {
  it('writes a batch and settles it as written, once, holding it until then', async () => {
    const { clock, writer, outcomes } = setup(() => undefined);
    const batch = writer.begin([1, 2], clock.now());
    expect(writer.held).toBe(1);
    expect(writer.inFlight).toBe(2);
    await writer.process(batch);
    expect(outcomes).toEqual([{ items: [1, 2], reason: null, error: undefined, attempts: 1, at: 0 }]);
    expect(writer.held).toBe(0);
    expect(writer.inFlight).toBe(0);
  });

  it('retries a retryable failure after the backoff, on virtual time', async () => {
    let calls = 0;
    const { clock, writer, outcomes, counters, reports } = setup(() => {
      if (++calls < 3) throw new Transient('flaky');
    });
    void writer.process(writer.begin([1], clock.now()));
    await clock.advance(99);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    await clock.advance(200);
    expect(calls).toBe(3);
    expect(outcomes).toEqual([{ items: [1], reason: null, error: undefined, attempts: 3, at: 300 }]);
    expect(counters.writeErrors).toBe(2);
    expect(reports.map((r) => r.kind)).toEqual(['write', 'write']);
  });

  it('dead-letters a permanent failure at once and one that outlives its attempts', async () => {
    const permanent = setup(() => {
      throw new Permanent('bad row');
    });
    await permanent.writer.process(permanent.writer.begin([1], 0));
    expect(permanent.outcomes[0]).toMatchObject({ reason: 'non_retryable', attempts: 1 });
    const exhausted = setup(
      () => {
        throw new Transient('down');
      },
      { maxAttempts: 2 },
    );
    void exhausted.writer.process(exhausted.writer.begin([1], 0));
    await exhausted.clock.advance(1_000);
    expect(exhausted.outcomes[0]).toMatchObject({ reason: 'retries_exhausted', attempts: 2 });
  });

  it('aborts an attempt after writeTimeoutMs and retries it with WriteTimeoutError', async () => {
    const signals: AbortSignal[] = [];
    const { clock, writer, reports } = setup((_batch, { signal }) => {
      signals.push(signal);
      return new Promise<void>(() => undefined);
    });
    void writer.process(writer.begin([1], 0));
    await clock.advance(1_000);
    expect(signals[0]!.aborted).toBe(true);
    expect(isWriteTimeoutError(reports[0]!.error)).toBe(true);
    await clock.advance(100);
    expect(signals).toHaveLength(2);
  });

  it('waits on an open breaker instead of writing, and writes the probe when it half-opens', async () => {
    let calls = 0;
    const { clock, writer, outcomes, breaker } = setup(
      () => {
        if (++calls === 1) throw new Transient('down');
      },
      { breaker: true, maxAttempts: 5 },
    );
    void writer.process(writer.begin([1], 0));
    await clock.advance(500);
    expect(breaker!.state).toBe('open');
    expect(calls).toBe(1);
    await clock.advance(500);
    expect(calls).toBe(2);
    expect(outcomes[0]).toMatchObject({ reason: null, attempts: 2 });
    expect(breaker!.state).toBe('closed');
  });

  it('gives up on held batches at stop: settled as shutdown, attempt aborted, no new retry', async () => {
    const signals: AbortSignal[] = [];
    const { clock, writer, outcomes } = setup((_batch, { signal }) => {
      signals.push(signal);
      return new Promise<void>(() => undefined);
    });
    void writer.process(writer.begin([1, 2], 0));
    await clock.advance(10);
    const reason = new CoordinatorClosedError('w');
    writer.giveUp(reason);
    expect(outcomes).toEqual([{ items: [1, 2], reason: 'shutdown', error: reason, attempts: 1, at: 10 }]);
    expect(signals[0]!.aborted).toBe(true);
    await clock.advance(5_000);
    expect(signals).toHaveLength(1);
    expect(outcomes).toHaveLength(1);
  });

  it('ends a backoff wait at once when the waits are ended', async () => {
    const { clock, writer, outcomes } = setup(() => {
      throw new Transient('down');
    });
    void writer.process(writer.begin([1], 0));
    await clock.advance(10);
    writer.endWaits(new CoordinatorClosedError('w'));
    await clock.settle();
    expect(outcomes[0]).toMatchObject({ reason: 'shutdown', attempts: 1, at: 10 });
  });
});
