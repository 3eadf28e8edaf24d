import { wireCoordinator } from '../../lib/coordinator/wire-coordinator.js';
import { resolveCoordinatorOptions } from '../../lib/coordinator/resolve-coordinator-options.js';
import { RUNNING, type CoordinatorCore } from '../../lib/coordinator/coordinator-core.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import { VirtualClock } from '../support/virtual-clock.js';

/** A coordinator's core on a virtual clock, without its facade; `starts` counts auto-starts. */
export interface CoreFixture<T> {
  readonly core: CoordinatorCore<T>;
  readonly clock: VirtualClock;
  readonly starts: { count: number };
}

let next = 0;

/**
 * Wires a core as the facade does (no bus, a unique id, no breaker unless asked). Its `start`
 * marks the core running and starts the workers, as `WriteCoordinator.start` does minus the id.
 */
export function makeCore<T>(options: Partial<WriteCoordinatorOptions<T>> = {}): CoreFixture<T> {
  const clock = new VirtualClock();
  const starts = { count: 0 };
  const core: CoordinatorCore<T> = wireCoordinator<T>(
    resolveCoordinatorOptions<T>({
      sink: () => undefined,
      id: `core-${++next}`,
      bus: null,
      circuitBreaker: false,
      scheduler: clock,
      ...options,
    }),
    () => {
      starts.count++;
      core.lifecycle = RUNNING;
      core.pool.start();
    },
  );
  return { core, clock, starts };
}
