// The ways users feed N items into a bounded writer (the coordinator, its stream adapters and the
// peers they would otherwise pick), each into a sink that only counts and is checked to have seen
// exactly N items. Each runner resolves to its elapsed time in ms.
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BATCH, BOUND, CONCURRENCY, checkCount } from './peers.mjs';
import { now } from './harness.mjs';

/** The stream adapters' default `highWaterMark`, which the plain stream peers copy. */
const ADAPTER_HIGH_WATER_MARK = 16;

/** A coordinator like the peers: capacity 10 000, batches of 500, 4 workers, no bus, nothing subscribed. */
export function makeCoordinator(lib, sink, extra = {}) {
  const coordinator = new lib.WriteCoordinator({
    id: `feed-${Math.random().toString(36).slice(2)}`,
    sink,
    capacity: BOUND,
    workers: CONCURRENCY,
    batchSize: BATCH,
    bus: null,
    ...extra,
  });
  coordinator.start();
  return coordinator;
}

async function finish(name, coordinator, t0, counted, n) {
  const report = await coordinator.stop({ drain: true });
  const ms = now() - t0;
  checkCount(name, counted(), n);
  if (!report.drained) throw new Error(`${name}: stop({ drain: true }) did not drain`);
  return ms;
}

/**
 * The hot-path form: `if (!c.trySubmit(x)) { await c.ready(); c.trySubmit(x); }`, with nothing
 * subscribed, a `level$` subscriber or a `depth$` subscriber (which sees every depth change).
 */
export async function runTrySubmit(lib, n, { levelSubscriber = false, depthSubscriber = false } = {}) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  let last;
  const sub = levelSubscriber
    ? c.level$.subscribe((level) => (last = level))
    : depthSubscriber
      ? c.depth$.subscribe((depth) => (last = depth))
      : null;
  const t0 = now();
  for (let i = 0; i < n; i++) {
    if (!c.trySubmit(i)) {
      await c.ready();
      if (!c.trySubmit(i)) throw new Error('trySubmit after ready() refused');
    }
  }
  const ms = await finish('trySubmit + ready', c, t0, () => count, n);
  sub?.unsubscribe();
  void last;
  return ms;
}

/** One awaited `submit` per item; optionally with a `depth$` subscriber. */
export async function runAwaitedSubmit(lib, n, { depthSubscriber = false } = {}) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  let last;
  const sub = depthSubscriber ? c.depth$.subscribe((depth) => (last = depth)) : null;
  const t0 = now();
  for (let i = 0; i < n; i++) await c.submit(i);
  const ms = await finish('awaited submit', c, t0, () => count, n);
  sub?.unsubscribe();
  void last;
  return ms;
}

/** `submitMany` with arrays of 500, as a reader of rows would. */
export async function runSubmitMany(lib, n) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  const t0 = now();
  for (let i = 0; i < n; i += BATCH) {
    const chunk = [];
    for (let j = i; j < Math.min(n, i + BATCH); j++) chunk.push(j);
    await c.submitMany(chunk);
  }
  return finish('submitMany(500)', c, t0, () => count, n);
}

/**
 * A push source like a socket: chunks of 1 000 values, one chunk per macrotask, piped through
 * `pauseWhile(level === 'hard')` into `submitTo`.
 */
export async function runSubmitTo(lib, n) {
  const { Observable, map } = await import('rxjs');
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  const source = new Observable((subscriber) => {
    let i = 0;
    let stopped = false;
    const chunk = () => {
      if (stopped) return;
      const end = Math.min(n, i + 1_000);
      while (i < end) subscriber.next(i++);
      if (i >= n) subscriber.complete();
      else setImmediate(chunk);
    };
    chunk();
    return () => (stopped = true);
  });
  const paused$ = c.level$.pipe(map((level) => level === 'hard'));
  const t0 = now();
  await new Promise((resolve, reject) =>
    source
      .pipe(lib.pauseWhile(paused$, { maxBuffered: n }), lib.submitTo(c))
      .subscribe({ complete: resolve, error: reject }),
  );
  return finish('submitTo after pauseWhile', c, t0, () => count, n);
}

function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}

/** `await pipeline(Readable.from(values), toNodeWritable(c))`. */
export async function runNodeWritableAdapter(lib, libNode, n) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  const t0 = now();
  await pipeline(Readable.from(numbers(n)), libNode.toNodeWritable(c));
  return finish('pipeline into toNodeWritable', c, t0, () => count, n);
}

/**
 * The same pipeline into a plain object-mode Writable with `writev` that only counts, with the
 * adapter's default `highWaterMark` (16): what Node's stream machinery costs without a coordinator.
 */
export async function runPipelineIntoWritable(n) {
  let count = 0;
  const sink = new Writable({
    objectMode: true,
    highWaterMark: ADAPTER_HIGH_WATER_MARK,
    write(_chunk, _encoding, callback) {
      count++;
      callback();
    },
    writev(chunks, callback) {
      count += chunks.length;
      callback();
    },
  });
  const t0 = now();
  await pipeline(Readable.from(numbers(n)), sink);
  const ms = now() - t0;
  checkCount('pipeline into a plain Writable', count, n);
  return ms;
}

/** A ReadableStream of 0..n-1 that fills up to its high-water mark on each pull. */
function readableOfNumbers(n) {
  let i = 0;
  return new ReadableStream(
    {
      pull(controller) {
        const end = Math.min(n, i + Math.max(1, controller.desiredSize));
        while (i < end) controller.enqueue(i++);
        if (i >= n) controller.close();
      },
    },
    new CountQueuingStrategy({ highWaterMark: 1_000 }),
  );
}

/** `await readable.pipeTo(toWritableStream(c))`. */
export async function runWritableStreamAdapter(lib, n) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  const t0 = now();
  await readableOfNumbers(n).pipeTo(lib.toWritableStream(c));
  return finish('pipeTo into toWritableStream', c, t0, () => count, n);
}

/**
 * The same ReadableStream read chunk by chunk with a reader, each chunk into `trySubmit` + `ready`:
 * the hand-written alternative to `pipeTo` where the per-chunk cost of `pipeTo` matters.
 */
export async function runReaderLoop(lib, n) {
  let count = 0;
  const c = makeCoordinator(lib, (batch) => {
    count += batch.length;
  });
  const reader = readableOfNumbers(n).getReader();
  const t0 = now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!c.trySubmit(value)) {
      await c.ready();
      if (!c.trySubmit(value)) throw new Error('trySubmit after ready() refused');
    }
  }
  return finish('reader loop into trySubmit', c, t0, () => count, n);
}

/**
 * The same pipeTo into a plain WritableStream that only counts, with the adapter's default
 * CountQueuingStrategy (16): what the WHATWG stream machinery costs without a coordinator.
 */
export async function runPipeToWritableStream(n) {
  let count = 0;
  const sink = new WritableStream(
    {
      write() {
        count++;
      },
    },
    new CountQueuingStrategy({ highWaterMark: ADAPTER_HIGH_WATER_MARK }),
  );
  const t0 = now();
  await readableOfNumbers(n).pipeTo(sink);
  const ms = now() - t0;
  checkCount('pipeTo into a plain WritableStream', count, n);
  return ms;
}

const RESOLVED = Promise.resolve();

/**
 * No library: one `await` of an already resolved promise per item, counted. The floor of any API
 * that is awaited once per item (a microtask turn, and under AsyncLocalStorage its async hooks).
 */
export async function runBareAwait(n) {
  let count = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await RESOLVED;
    count++;
  }
  const ms = now() - t0;
  checkCount('await of a resolved promise', count, n);
  return ms;
}

/** The idiomatic Node Writable: object mode, `writev`, `if (!w.write(x)) await once(w, 'drain')`. */
export async function runIdiomaticWritable(n) {
  let count = 0;
  const stream = new Writable({
    objectMode: true,
    highWaterMark: BOUND,
    write(_chunk, _encoding, callback) {
      count++;
      callback();
    },
    writev(chunks, callback) {
      count += chunks.length;
      callback();
    },
  });
  const t0 = now();
  for (let i = 0; i < n; i++) {
    if (!stream.write(i)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
  const ms = now() - t0;
  checkCount('Node Writable', count, n);
  return ms;
}

/** A WHATWG WritableStream with a CountQueuingStrategy of 10 000, fed through its writer. */
export async function runWhatwgWritable(n) {
  let count = 0;
  const stream = new WritableStream(
    {
      write() {
        count++;
      },
    },
    new CountQueuingStrategy({ highWaterMark: BOUND }),
  );
  const writer = stream.getWriter();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    if (writer.desiredSize <= 0) await writer.ready;
    void writer.write(i);
  }
  await writer.close();
  const ms = now() - t0;
  checkCount('WHATWG WritableStream', count, n);
  return ms;
}
