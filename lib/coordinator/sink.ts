import type { AbortSignalLike } from '../internal/platform-types.js';

/**
 * What a sink gets with each batch: a signal that aborts when the write exceeds `writeTimeoutMs` or
 * when `stop` gives up on it, and the attempt number (1 for the first try).
 *
 * @example
 * ```ts
 * const write = async (batch: readonly Row[], { signal, attempt }: WriteContext) => {
 *   if (attempt > 1) console.warn(`retrying ${batch.length} rows (attempt ${attempt})`);
 *   await db.insert(batch, { signal });
 * };
 * ```
 */
export interface WriteContext {
  /** Aborted on write timeout (reason `WriteTimeoutError`) and on stop (reason `CoordinatorClosedError`). */
  readonly signal: AbortSignalLike;
  /** 1 for the first attempt, then 2, 3, ... */
  readonly attempt: number;
}

/**
 * A sink as a plain function. It resolves (or returns) when the batch is stored and rejects (or
 * throws) when it is not; what it returns or resolves to is ignored, so a driver's insert can be
 * returned as is. Honour `signal` or be idempotent: delivery is at least once. The batch is the
 * sink's own copy: changing it changes nothing for the coordinator.
 *
 * @example
 * ```ts
 * const sink: SinkFunction<Row> = (batch, { signal }) => db.insert(batch, { signal });
 * ```
 */
export type SinkFunction<T> = (batch: readonly T[], context: WriteContext) => unknown;

/**
 * Where a coordinator writes its batches: a database table, a file, a remote API.
 *
 * @example
 * ```ts
 * const sink: Sink<Row> = {
 *   async write(batch, { signal }) {
 *     await fetch('/rows', { method: 'POST', body: JSON.stringify(batch), signal });
 *   },
 * };
 * ```
 */
export interface Sink<T> {
  /** Stores a batch; see {@link SinkFunction}. Its result is ignored. */
  write(batch: readonly T[], context: WriteContext): unknown;
}
