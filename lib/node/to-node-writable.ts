import { Writable } from 'node:stream';
import type { WriteCoordinator } from '../coordinator/write-coordinator.js';
import {
  assertStreamTarget,
  resolveStreamOptions,
  type CoordinatorStreamOptions,
} from '../coordinator/coordinator-stream-options.js';
import type { StopOptions } from '../coordinator/stop-report.js';

type WriteCallback = (error?: Error | null) => void;

/**
 * The object-mode `Writable` of {@link toNodeWritable}. `write()` returns `false` while the
 * coordinator is full, and `'drain'` follows once it has room and the stream has handed over what
 * it held.
 */
class CoordinatorWritable<T> extends Writable {
  /** A chunk is waiting in the coordinator's line of blocked submits. */
  private waiting = false;
  /** `write()` said false on its own account (Node's buffer was below its mark): 'drain' is ours to emit. */
  private owesDrain = false;

  constructor(
    private readonly coordinator: WriteCoordinator<T>,
    highWaterMark: number,
    private readonly stopOptions: StopOptions | null,
  ) {
    super({ objectMode: true, highWaterMark });
  }

  override write(
    chunk: T,
    encodingOrCallback?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    const belowMark =
      typeof encodingOrCallback === 'function'
        ? super.write(chunk, encodingOrCallback)
        : super.write(chunk, encodingOrCallback as BufferEncoding, callback);
    if (belowMark && this.waiting) {
      this.owesDrain = true;
      return false;
    }
    return belowMark;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // Whoever emits 'drain' (Node, for its own buffer, or this stream) settles what was owed.
    if (event === 'drain') this.owesDrain = false;
    return super.emit(event, ...args);
  }

  override _write(chunk: T, _encoding: BufferEncoding, callback: WriteCallback): void {
    let accepted = false;
    try {
      accepted = this.coordinator.trySubmit(chunk);
    } catch {
      // Closed: `submit` rejects with the same error and counts the refusal.
    }
    if (accepted) {
      callback();
      if (this.owesDrain) process.nextTick(() => this.drainIfOwed());
      return;
    }
    this.waiting = true;
    this.coordinator.submit(chunk).then(
      () => {
        this.waiting = false;
        callback();
        if (this.owesDrain) process.nextTick(() => this.drainIfOwed());
      },
      (error: unknown) => {
        this.waiting = false;
        callback(error as Error);
      },
    );
  }

  override _final(callback: WriteCallback): void {
    this.stopIfAsked().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: WriteCallback): void {
    this.stopIfAsked().then(
      () => callback(error),
      (stopError: unknown) => callback(error ?? (stopError as Error)),
    );
  }

  private drainIfOwed(): void {
    if (this.owesDrain && !this.waiting && this.writableLength === 0 && !this.destroyed) this.emit('drain');
  }

  private async stopIfAsked(): Promise<void> {
    if (this.stopOptions !== null) await this.coordinator.stop(this.stopOptions);
  }
}

/**
 * An object-mode `Writable` that submits every chunk to `coordinator`, whose backpressure is the
 * coordinator's: `await pipeline(source, toNodeWritable(coordinator))` works, and so does the
 * idiomatic loop `if (!writable.write(x)) await once(writable, 'drain')`.
 *
 * - Each chunk goes to `trySubmit` at once while there is room. `write()` returns `false` when the
 *   coordinator is full (the chunk then waits in its line of blocked submits, under `'block'`) or
 *   when the stream's own buffer reaches `highWaterMark`; `'drain'` is emitted once the coordinator
 *   has accepted what the stream held.
 * - Refusals (full under `'reject'`, a stopped coordinator) destroy the stream with the
 *   coordinator's error (`QueueFullError`, `CoordinatorClosedError`), counted by the coordinator
 *   in `rejected`; `pipeline` rejects with it. Chunks still buffered in the stream then are
 *   discarded by Node with an error to their write callbacks.
 * - Ending or destroying the stream leaves the coordinator running, unless `stopCoordinator` asks
 *   for `stop` (then `'finish'` follows once the coordinator has stopped).
 *
 * Lossless under `'block'`: bounded by the coordinator's capacity plus `highWaterMark` chunks.
 *
 * @param coordinator Where the chunks go.
 * @param options `highWaterMark` (default 16) and `stopCoordinator` (default `false`).
 * @throws TypeError / RangeError at call time for a bad coordinator or option.
 * @example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { toNodeWritable } from 'rxjs-backpressure/node';
 *
 * await pipeline(createReadStream('ticks.ndjson'), split2(JSON.parse), toNodeWritable(coordinator));
 * ```
 */
export function toNodeWritable<T>(
  coordinator: WriteCoordinator<T>,
  options?: CoordinatorStreamOptions,
): Writable {
  assertStreamTarget('toNodeWritable', coordinator);
  const { highWaterMark, stop } = resolveStreamOptions('toNodeWritable', options);
  return new CoordinatorWritable<T>(coordinator, highWaterMark, stop);
}
