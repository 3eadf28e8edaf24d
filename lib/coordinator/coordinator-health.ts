import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';

/**
 * A coordinator's lifecycle: `'idle'` (built, not started: submits are queued), `'running'`,
 * `'stopping'` (refusing new items, draining or giving up), `'stopped'` (final).
 *
 * @example
 * ```ts
 * if (coordinator.health().state === 'stopped') return;
 * ```
 */
export type CoordinatorState = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * A snapshot of a coordinator, from `health()`. At every moment
 * `submitted = written + deadLettered + dropped + rejected + queueSize + inFlight`: the counters
 * count items, weighed or not; the weight held is `queuedWeight + inFlightWeight`.
 *
 * @example
 * ```ts
 * const h: CoordinatorHealth = coordinator.health();
 * gauge.set({ id: h.id }, h.utilization);
 * const { ok, soft, hard } = h.timeInLevelMs;
 * console.log(`hard ${((100 * hard) / (ok + soft + hard)).toFixed(1)}% of the time`);
 * ```
 */
export interface CoordinatorHealth {
  /** The coordinator's `id`. */
  readonly id: string;
  /** Where it is in its lifecycle. */
  readonly state: CoordinatorState;
  /** Worker count (the `workers` option; its `max` when adaptive). */
  readonly workers: number;
  /**
   * Most writes running at once now: the fixed `workers`, or the adaptive limit in force (see
   * `AdaptiveWorkers`).
   */
  readonly concurrencyLimit: number;
  /** Workers holding a batch now (writing it, or waiting on backoff or the breaker). */
  readonly busyWorkers: number;
  /** Items accepted and not yet taken by a worker. */
  readonly queueSize: number;
  /** Items held by workers. */
  readonly inFlight: number;
  /**
   * The weight of the queued items, in the units of the `weigh` option (equal to `queueSize`
   * without it).
   */
  readonly queuedWeight: number;
  /** The weight of the items held by workers (equal to `inFlight` without `weigh`). */
  readonly inFlightWeight: number;
  /**
   * Most the coordinator holds (queued plus in flight): items, or weight with `weigh`, as
   * `queuedWeight + inFlightWeight` counts it.
   */
  readonly capacity: number;
  /**
   * `(queuedWeight + inFlightWeight) / capacity`, within [0, 1]; without `weigh`,
   * `(queueSize + inFlight) / capacity`.
   */
  readonly utilization: number;
  /**
   * The current backpressure level: `'hard'` while the circuit is open, and while it is half-open
   * with something held; otherwise the depth's own level.
   */
  readonly level: BackpressureLevel;
  /** The circuit breaker's state (`'closed'` when the breaker is disabled, and after `stop`). */
  readonly circuitState: CircuitState;
  /** `submit` calls that were accepted or refused (waiting ones are counted once settled). */
  readonly submitted: number;
  /** Items the sink stored. */
  readonly written: number;
  /** Items handed to the dead-letter queue (including records it failed to store). */
  readonly deadLettered: number;
  /** Items discarded by a drop overflow strategy. */
  readonly dropped: number;
  /** Submits refused: full under `'reject'`, aborted or timed-out waits, after `stop`. */
  readonly rejected: number;
  /** Batches the sink stored. */
  readonly batchesWritten: number;
  /** Failed write attempts (each retry that failed counts). */
  readonly writeErrors: number;
  /** Dead-letter records the dead-letter queue failed to store (kept in memory instead). */
  readonly deadLetterFailures: number;
  /**
   * Milliseconds spent in each level since the coordinator was built, on its scheduler, the current
   * level's running time included (up to this call, or up to the end of `stop`, after which no more
   * time is counted). `hard / (ok + soft + hard)` is the share of time spent in `'hard'`.
   */
  readonly timeInLevelMs: { readonly ok: number; readonly soft: number; readonly hard: number };
}
