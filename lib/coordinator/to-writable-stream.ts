import type { WriteCoordinator } from './write-coordinator.js';
import {
  assertStreamTarget,
  resolveStreamOptions,
  type CoordinatorStreamOptions,
} from './coordinator-stream-options.js';

declare global {
  // Merges with the platform's `WritableStream<W = any>` where a lib declares one (DOM,
  // @types/node), so that the return type below can name `WritableStream<T>` and keep the chunk
  // type; where no lib does (ES2022 alone) it is an empty interface that only makes the name exist.
  // The type parameter is spelled exactly as DOM and @types/node spell theirs: merged declarations
  // must agree on it.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars, @typescript-eslint/no-explicit-any
  interface WritableStream<W = any> {}
}

/**
 * A WHATWG `WritableStream` that submits every chunk to `coordinator`, whose backpressure is the
 * coordinator's: `readable.pipeTo(toWritableStream(coordinator))` works in browsers and in Node.
 *
 * - Each chunk goes to `trySubmit` (no promise while there is room). When the coordinator is full
 *   under `'block'`, the chunk waits in its line of blocked submits and the write stays pending, so
 *   the stream holds what is written meanwhile; once it holds `highWaterMark` chunks,
 *   `writer.desiredSize` is `<= 0` and `writer.ready` (which `pipeTo` waits on) stays pending until
 *   the coordinator has room again, as `coordinator.ready()` does. While the coordinator has room
 *   the stream holds nothing and `desiredSize` is `highWaterMark` (a WHATWG stream computes
 *   `desiredSize` from its own queue only, so it tells whether there is room, not how much).
 * - Refusals (full under `'reject'`, a stopped coordinator) error the stream with the
 *   coordinator's error (`QueueFullError`, `CoordinatorClosedError`), counted by the coordinator
 *   in `rejected`; `pipeTo` rejects with it. Under a drop strategy every chunk is accepted and the
 *   coordinator reports what it drops on `dropped$`.
 * - Closing or aborting the stream leaves the coordinator running, unless `stopCoordinator` asks
 *   for `stop` (then `close()` resolves once the coordinator has stopped).
 *
 * Lossless under `'block'`: bounded by the coordinator's capacity plus `highWaterMark` chunks.
 *
 * @param coordinator Where the chunks go.
 * @param options `highWaterMark` (default 16) and `stopCoordinator` (default `false`).
 * @throws TypeError / RangeError at call time for a bad coordinator or option.
 * @example
 * ```ts
 * const response = await fetch('/ticks.ndjson');
 * await response.body!
 *   .pipeThrough(new TextDecoderStream())
 *   .pipeThrough(ndjsonLines())
 *   .pipeTo(toWritableStream(coordinator));
 * ```
 */
export function toWritableStream<T>(
  coordinator: WriteCoordinator<T>,
  options?: CoordinatorStreamOptions,
  // The platform's `WritableStream<T>` where the caller's lib declares one (DOM, @types/node),
  // `unknown` where none does (lib ES2022 alone has no stream to pipe into it anyway).
): typeof globalThis extends { WritableStream: unknown } ? WritableStream<T> : unknown {
  assertStreamTarget('toWritableStream', coordinator);
  const { highWaterMark, stop } = resolveStreamOptions('toWritableStream', options);
  const stopIfAsked = async (): Promise<void> => {
    if (stop !== null) await coordinator.stop(stop);
  };
  const stream = new WritableStream<T>(
    {
      write(chunk) {
        try {
          if (coordinator.trySubmit(chunk)) return undefined;
        } catch {
          // Closed: `submit` rejects with the same error and counts the refusal.
        }
        return coordinator.submit(chunk);
      },
      close: stopIfAsked,
      abort: stopIfAsked,
    },
    new CountQueuingStrategy({ highWaterMark }),
  );
  return stream;
}
