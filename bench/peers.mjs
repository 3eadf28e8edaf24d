// What users would otherwise pick, each fed the same way as the coordinator: N items, one `await`
// per item, bounded at 10 000 waiting items, into a sink that only counts. Each runner resolves to
// its elapsed time in ms and throws if the sink did not see exactly N items.
import PQueue from 'p-queue';
import fastq from 'fastq';
import { now } from './harness.mjs';

export const BOUND = 10_000;
export const BATCH = 500;
export const CONCURRENCY = 4;

export function checkCount(name, count, n) {
  if (count !== n) throw new Error(`${name}: the sink saw ${count} items, expected ${n}`);
}

/** p-queue: a task per item, concurrency 4, `await onSizeLessThan(10 000)` before each add. */
export async function runPQueue(n) {
  let count = 0;
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const task = async () => {
    count++;
  };
  const t0 = now();
  for (let i = 0; i < n; i++) {
    await queue.onSizeLessThan(BOUND);
    void queue.add(task);
  }
  await queue.onIdle();
  const ms = now() - t0;
  checkCount('p-queue', count, n);
  return ms;
}

/** fastq, promise API: concurrency 4, a task per item, `await drained()` when 10 000 wait. */
export async function runFastq(n) {
  let count = 0;
  const queue = fastq.promise(async () => {
    count++;
  }, CONCURRENCY);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    void queue.push(i);
    await (queue.length() >= BOUND ? queue.drained() : undefined);
  }
  await queue.drained();
  const ms = now() - t0;
  checkCount('fastq', count, n);
  return ms;
}
