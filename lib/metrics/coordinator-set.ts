import { describeValue } from '../internal/describe-value.js';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import type { CoordinatorHealth } from '../coordinator/coordinator-health.js';
import {
  COLLECTED_METRIC_KEYS,
  COORD_LABEL,
  FEEDBACK_COORD_LABEL,
  type CoordinatorMetricKey,
} from './coordinator-metric-catalog.js';
import { CoordinatorTally } from './coordinator-tally.js';
import type { MetricsCoordinator } from './metrics-coordinator.js';

/** One value of one series. */
export interface MetricSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every collected metric's samples, for all coordinators, at one moment. */
export type MetricSamples = ReadonlyMap<CoordinatorMetricKey, readonly MetricSample[]>;

const CIRCUIT_CODES = { closed: 0, open: 1, 'half-open': 2 } as const;
const LEVEL_CODES = { ok: 0, soft: 1, hard: 2 } as const;
const LEVELS = ['ok', 'soft', 'hard'] as const;

/**
 * The coordinators an adapter reports, with their tallies, and the samples both adapters turn into
 * their own instruments: one place computes every value, so Prometheus and OpenTelemetry agree.
 */
export class CoordinatorSet {
  private readonly members = new Map<MetricsCoordinator, CoordinatorTally>();
  private cached: MetricSamples | null = null;

  constructor(
    private readonly bus: FeedbackBus | null,
    private readonly onWritten: (coordinatorId: string, seconds: number) => void,
  ) {}

  add(coordinators: unknown): void {
    const list = toList(coordinators);
    // Check them all before adding any, so that a bad one leaves the set as it was.
    const ids = new Map([...this.members.keys()].map((c) => [c.id, c]));
    for (const coordinator of list) {
      const other = ids.get(coordinator.id);
      if (other !== undefined && other !== coordinator) {
        throw new RangeError(
          `coordinators must have distinct ids (their series are told apart by ${COORD_LABEL}), found two with id ${JSON.stringify(coordinator.id)}`,
        );
      }
      ids.set(coordinator.id, coordinator);
    }
    for (const coordinator of list) {
      if (this.members.has(coordinator)) continue;
      const id = coordinator.id;
      this.members.set(
        coordinator,
        new CoordinatorTally(coordinator, (seconds) => this.onWritten(id, seconds)),
      );
    }
  }

  /** Removes coordinators; returns the ids removed (their series disappear at the next collection). */
  remove(coordinators: unknown): string[] {
    const removed: string[] = [];
    for (const coordinator of toList(coordinators)) {
      const tally = this.members.get(coordinator);
      if (tally === undefined) continue;
      tally.dispose();
      this.members.delete(coordinator);
      removed.push(coordinator.id);
    }
    return removed;
  }

  clear(): void {
    this.remove([...this.members.keys()]);
  }

  /**
   * The samples now. Taken once per turn of the event loop: the metrics of one scrape read one
   * `health()` snapshot per coordinator, so that depth, utilisation and level agree with each other.
   */
  samples(): MetricSamples {
    if (this.cached !== null) return this.cached;
    const samples = new Map<CoordinatorMetricKey, MetricSample[]>(COLLECTED_METRIC_KEYS.map((k) => [k, []]));
    const put = (key: CoordinatorMetricKey, labels: Record<string, string>, value: number): void => {
      samples.get(key)!.push({ labels, value });
    };
    for (const [coordinator, tally] of this.members) {
      sampleCoordinator(coordinator.health(), tally, put);
    }
    if (this.bus !== null) put('feedbackSubscribers', {}, this.bus.subscriberCount);
    this.cached = samples;
    queueMicrotask(() => (this.cached = null));
    return samples;
  }
}

function sampleCoordinator(
  h: CoordinatorHealth,
  tally: CoordinatorTally,
  put: (key: CoordinatorMetricKey, labels: Record<string, string>, value: number) => void,
): void {
  const id = { [COORD_LABEL]: h.id };
  const alive = h.state === 'running' || h.state === 'stopping';
  put('itemsSubmitted', id, h.submitted);
  putBreakdown(put, 'itemsDropped', h.id, 'reason', tally.droppedByReason, h.dropped);
  put('queueDepth', id, h.queueSize + h.inFlight);
  put('workersAlive', id, alive ? h.workers : 0);
  put('circuitState', id, CIRCUIT_CODES[h.circuitState]);
  put('batchesWritten', id, h.batchesWritten);
  putBreakdown(put, 'writeErrors', h.id, 'error_type', tally.errorsByType, h.writeErrors);
  for (const level of LEVELS) {
    put('feedbackEvents', { [FEEDBACK_COORD_LABEL]: h.id, level }, tally.feedbackByLevel[level]);
  }
  put('capacity', id, h.capacity);
  put('utilization', id, h.utilization);
  put('backpressureLevel', id, LEVEL_CODES[h.level]);
  put('itemsWritten', id, h.written);
  put('itemsRejected', id, h.rejected);
  putBreakdown(put, 'itemsDeadLettered', h.id, 'reason', tally.deadLetteredByReason, h.deadLettered);
  for (const level of LEVELS) {
    put('levelSeconds', { [COORD_LABEL]: h.id, level }, h.timeInLevelMs[level] / 1000);
  }
}

/**
 * A counter broken down by a label, whose series add up to `health()`'s total: what happened
 * before the coordinator was added (and so was not seen on its streams) counts as `unknown`.
 */
function putBreakdown(
  put: (key: CoordinatorMetricKey, labels: Record<string, string>, value: number) => void,
  key: CoordinatorMetricKey,
  id: string,
  label: string,
  counts: ReadonlyMap<string, number>,
  total: number,
): void {
  let seen = 0;
  for (const [value, count] of counts) {
    seen += count;
    if (value !== 'unknown') put(key, { [COORD_LABEL]: id, [label]: value }, count);
  }
  const unknown = (counts.get('unknown') ?? 0) + Math.max(0, total - seen);
  if (unknown > 0) put(key, { [COORD_LABEL]: id, [label]: 'unknown' }, unknown);
}

function toList(coordinators: unknown): MetricsCoordinator[] {
  const list: unknown[] = Array.isArray(coordinators) ? coordinators : [coordinators];
  return list.map((coordinator, i) => {
    if (!isMetricsCoordinator(coordinator)) {
      const where = Array.isArray(coordinators) ? `coordinators[${i}]` : 'coordinators';
      throw new TypeError(
        `${where} must be a WriteCoordinator (an object with id, health(), writes$, feedback$, errors$ and dropped$), found ${describeValue(coordinator)}`,
      );
    }
    return coordinator;
  });
}

function isMetricsCoordinator(value: unknown): value is MetricsCoordinator {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<Record<keyof MetricsCoordinator, unknown>>;
  return (
    typeof c.id === 'string' &&
    typeof c.health === 'function' &&
    [c.writes$, c.feedback$, c.errors$, c.dropped$].every(
      (stream) =>
        typeof stream === 'object' &&
        stream !== null &&
        typeof (stream as { subscribe?: unknown }).subscribe === 'function',
    )
  );
}
