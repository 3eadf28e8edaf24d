import { Admission } from '../queue/admission.js';
import type { ResolvedCoordinatorOptions } from './resolve-coordinator-options.js';
import { CoordinatorCounters } from './coordinator-counters.js';
import { CoordinatorReports } from './coordinator-reports.js';
import { BatchQueue } from './batch-queue.js';
import { WorkerPool } from './worker-pool.js';
import { BatchWriter, type Batch } from './batch-writer.js';
import { DeadLetterOutbox } from './dead-letter-outbox.js';
import { PressureSignal } from './pressure-signal.js';
import { admissionTarget } from './submission.js';
import { closeSteadyRoom } from './steady-room.js';
import { settleBatch, takeBatch, workersMayEnd } from './batch-settlement.js';
import { IDLE, STOPPED, heldWeight, type CoordinatorCore } from './coordinator-core.js';

/**
 * @internal Builds a coordinator's parts from its resolved options and connects them: workers
 * take batches from the queue and hand them to the writer, whose outcomes are settled on the core;
 * the admission admits into the queue; the pressure signal reads the depth and follows the breaker.
 * `start` is the facade's, for auto-start.
 *
 * @example
 * ```ts
 * const core = wireCoordinator(resolveCoordinatorOptions({ sink }), () => coordinator.start());
 * ```
 */
export function wireCoordinator<T>(
  resolved: ResolvedCoordinatorOptions<T>,
  start: () => void,
): CoordinatorCore<T> {
  const { id, capacity, scheduler, breaker, batchSize } = resolved;
  const counters = new CoordinatorCounters(id, () => core.pool.limit);
  const reports = new CoordinatorReports<T>(id);
  // The parts reach each other through `core`; none of these callbacks runs before it is built.
  const core: CoordinatorCore<T> = {
    id,
    scheduler,
    batchSize,
    autoStart: resolved.autoStart,
    bus: resolved.bus,
    reservedId: resolved.reservedId,
    breaker,
    breakerSubscription: null,
    counters,
    reports,
    pool: new WorkerPool<Batch<T>>(
      resolved.workers,
      {
        take: () => takeBatch(core),
        process: (batch) => core.writer.process(batch),
        finished: () => workersMayEnd(core),
      },
      resolved.concurrency,
    ),
    queue: new BatchQueue<T>(
      batchSize,
      resolved.flushIntervalMs,
      scheduler,
      capacity,
      () => core.pool.wakeOne(),
      resolved.weigh !== null,
    ),
    admission: new Admission<T>(
      capacity,
      resolved.overflow,
      scheduler,
      admissionTarget(() => core, resolved.weigh),
    ),
    // The parts' configs are spelled out rather than spread from `resolved`: an object literal has
    // one shape for every coordinator, where a spread builds a new chain of hidden classes that dies
    // with its coordinator, and each time one does, the optimized code that saw it is thrown away.
    writer: new BatchWriter<T>({
      id,
      write: resolved.write,
      scheduler,
      breaker,
      retryPolicy: resolved.retryPolicy,
      writeTimeoutMs: resolved.writeTimeoutMs,
      concurrency: resolved.concurrency,
      counters,
      report: (report) => reports.report(report),
      settled: (batch, reason, error) => settleBatch(core, batch, reason, error),
      limitChanged: () => core.pool.limitChanged(),
    }),
    outbox: new DeadLetterOutbox<T>(id, resolved.deadLetterQueue, scheduler, (record, error) => {
      counters.deadLetterFailures++;
      reports.deadLetterFailed(record, error);
    }),
    signal: new PressureSignal({
      id,
      source: resolved.source,
      capacity,
      watermarks: resolved.watermarks,
      scheduler,
      bus: resolved.bus,
      depth: () => heldWeight(core),
      circuitState: () => breaker?.state ?? 'closed',
      stopped: () => core.lifecycle === STOPPED,
      depthWatched: () => closeSteadyRoom(core),
    }),
    lifecycle: IDLE,
    steadyRoom: 0,
    steadyWeight: 0,
    depthObserved: false,
    claimedId: false,
    drained: null,
    start,
  };
  // state$ emits the current state ('closed') at once, which changes nothing.
  if (breaker !== null)
    core.breakerSubscription = breaker.state$.subscribe((s) => core.signal.circuitChanged(s));
  return core;
}
