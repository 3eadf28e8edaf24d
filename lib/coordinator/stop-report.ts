/**
 * Options of a coordinator's `stop`.
 *
 * @example
 * ```ts
 * await coordinator.stop({ drain: false, timeoutMs: 2_000 });
 * ```
 */
export interface StopOptions {
  /**
   * `true`: write everything held (partial batches at once), waiting up to `timeoutMs`.
   * `false`: dead-letter the queued items at once; writes in progress get up to `timeoutMs`,
   * without new retries. @default true
   */
  readonly drain?: boolean;
  /**
   * Longest wait in ms, one deadline for the whole stop: when it passes, writes in progress are
   * aborted and everything left is dead-lettered with reason `'shutdown'`; dead-letter records the
   * dead-letter queue has not stored by then are kept in `unsavedDeadLetters`. A finite number
   * within `[0, 2147483647]` (`MAX_DELAY_MS`). @default 10000
   */
  readonly timeoutMs?: number;
}

/**
 * What `stop` reports once the coordinator has stopped: what happened during the stop, and the
 * totals over the coordinator's life. `drained: true` with `writtenDuringStop: 0` means nothing
 * was held when `stop` was called.
 *
 * @example
 * ```ts
 * const { drained, writtenDuringStop, written, deadLettered, durationMs } = await coordinator.stop();
 * log.info(`${writtenDuringStop} items written while stopping, ${written} in total`);
 * if (!drained) log.warn({ deadLettered }, `stopped after ${durationMs} ms without draining`);
 * ```
 */
export interface StopReport {
  /** `true` when nothing had to be dead-lettered for the shutdown (reason `'shutdown'`). */
  readonly drained: boolean;
  /** Items written during the stop (the drain): held when `stop` was called, or admitted from waits. */
  readonly writtenDuringStop: number;
  /** Items dead-lettered during the stop (every reason; `'shutdown'` for what the stop gave up on). */
  readonly deadLetteredDuringStop: number;
  /** Items written over the coordinator's life. */
  readonly written: number;
  /** Items dead-lettered over the coordinator's life (every reason). */
  readonly deadLettered: number;
  /** How long `stop` took, in ms. */
  readonly durationMs: number;
}
