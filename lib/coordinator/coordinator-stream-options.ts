import { describeValue } from '../internal/describe-value.js';
import { assertInteger } from '../internal/validate.js';
import type { StopOptions } from './stop-report.js';

/**
 * Options of the stream adapters `toWritableStream` (core) and `toNodeWritable`
 * (`rxjs-backpressure/node`).
 *
 * @example
 * ```ts
 * const options: CoordinatorStreamOptions = { stopCoordinator: { timeoutMs: 5_000 } };
 * await readable.pipeTo(toWritableStream(coordinator, options)); // stopped (drained) at the end
 * ```
 */
export interface CoordinatorStreamOptions {
  /**
   * Chunks the stream itself may hold before it signals backpressure (an integer `>= 1`). The
   * stream holds chunks only while the coordinator is full: each chunk goes straight to
   * `trySubmit` while there is room. @default 16
   */
  readonly highWaterMark?: number;
  /**
   * Whether closing (ending) or aborting (destroying) the stream stops the coordinator: `false`
   * leaves it running (other producers may share it); `true` calls `stop()` (drain, default
   * timeout); an object is passed to `stop` as its options. The stream finishes once `stop` has
   * resolved. @default false
   */
  readonly stopCoordinator?: boolean | StopOptions;
}

/** @internal The options of a stream adapter, checked, with their defaults. */
export interface ResolvedStreamOptions {
  readonly highWaterMark: number;
  /** `null`: leave the coordinator running. */
  readonly stop: StopOptions | null;
}

/**
 * @internal Checks the options of a stream adapter.
 *
 * @example
 * ```ts
 * const { highWaterMark, stop } = resolveStreamOptions('toWritableStream', { highWaterMark: 64 });
 * ```
 */
export function resolveStreamOptions(
  name: string,
  options: CoordinatorStreamOptions | undefined,
): ResolvedStreamOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`${name} options must be an object, found ${describeValue(options)}`);
  }
  const { highWaterMark = 16, stopCoordinator = false } = options ?? {};
  assertInteger('highWaterMark', highWaterMark, 1);
  let stop: StopOptions | null;
  if (stopCoordinator === false) stop = null;
  else if (stopCoordinator === true) stop = {};
  else if (typeof stopCoordinator === 'object' && stopCoordinator !== null) stop = stopCoordinator;
  else {
    throw new TypeError(
      `stopCoordinator must be a boolean or stop options, found ${describeValue(stopCoordinator)}`,
    );
  }
  return { highWaterMark, stop };
}

/**
 * @internal Checks that `coordinator` can be fed by a stream adapter.
 *
 * @example
 * ```ts
 * assertStreamTarget('toNodeWritable', coordinator);
 * ```
 */
export function assertStreamTarget(name: string, coordinator: unknown): void {
  const target = coordinator as { trySubmit?: unknown; submit?: unknown; stop?: unknown } | null;
  if (
    typeof target !== 'object' ||
    target === null ||
    typeof target.trySubmit !== 'function' ||
    typeof target.submit !== 'function' ||
    typeof target.stop !== 'function'
  ) {
    throw new TypeError(
      `${name} expects a WriteCoordinator (an object with trySubmit, submit and stop), found ${describeValue(coordinator)}`,
    );
  }
}
