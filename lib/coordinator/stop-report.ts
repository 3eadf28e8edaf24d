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
 * What `stop` reports once the coordinator has stopped.
 *
 * @example
 * ```ts
 * const { drained, written, deadLettered, durationMs } = await coordinator.stop();
 * if (!drained) log.warn({ deadLettered }, `stopped after ${durationMs} ms without draining`);
 * ```
 */
export interface StopReport {
  /** `true` when nothing had to be dead-lettered for the shutdown (reason `'shutdown'`). */
  readonly drained: boolean;
  /** Items written over the coordinator's life. */
  readonly written: number;
  /** Items dead-lettered over the coordinator's life (every reason). */
  readonly deadLettered: number;
  /** How long `stop` took, in ms. */
  readonly durationMs: number;
}
