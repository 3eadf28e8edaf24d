// Scenario 1: 1 000 000 items fed the ways users feed them, against the peers they would pick.
// Run plain (this file) and inside an enabled AsyncLocalStorage (feeds-als.mjs), each in its own
// process, so that the async hooks of one do not slow the other.
import { AsyncLocalStorage } from 'node:async_hooks';
import { runFastq, runPQueue } from '../peers.mjs';
import {
  runAwaitedSubmit,
  runBareAwait,
  runIdiomaticWritable,
  runNodeWritableAdapter,
  runPipeToWritableStream,
  runPipelineIntoWritable,
  runReaderLoop,
  runSubmitMany,
  runSubmitTo,
  runTrySubmit,
  runWhatwgWritable,
  runWritableStreamAdapter,
} from '../feeds.mjs';
import { fmtInt, fmtMs, fmtRatio, interleave, median } from '../harness.mjs';

export const id = 'feeds';
export const title = '1. Feeds: 1 000 000 items into a bounded writer of 10 000, plain';

export const WRITABLE = 'Node Writable (writev, drain)';
export const READER_LOOP = 'ReadableStream reader loop into trySubmit + ready';
export const BARE_AWAIT = 'await of a resolved promise per item (no library)';
export const NODE_STREAM_PEER = 'pipeline into a plain Writable (writev, no coordinator)';
export const WHATWG_STREAM_PEER = 'pipeTo into a plain WritableStream (no coordinator)';

export function variants(lib, libNode, n) {
  return [
    { name: 'trySubmit + ready', run: () => runTrySubmit(lib, n), ours: true },
    {
      name: 'trySubmit + ready, level$ subscribed',
      run: () => runTrySubmit(lib, n, { levelSubscriber: true }),
      ours: true,
    },
    {
      name: 'trySubmit + ready, depth$ subscribed',
      run: () => runTrySubmit(lib, n, { depthSubscriber: true }),
      ours: true,
    },
    { name: 'awaited submit', run: () => runAwaitedSubmit(lib, n), ours: true },
    { name: 'submitMany(500)', run: () => runSubmitMany(lib, n), ours: true },
    { name: 'submitTo after pauseWhile', run: () => runSubmitTo(lib, n), ours: true },
    { name: 'pipeline into toNodeWritable', run: () => runNodeWritableAdapter(lib, libNode, n), ours: true },
    { name: 'pipeTo into toWritableStream', run: () => runWritableStreamAdapter(lib, n), ours: true },
    { name: READER_LOOP, run: () => runReaderLoop(lib, n), ours: true },
    { name: WRITABLE, run: () => runIdiomaticWritable(n) },
    { name: 'WHATWG WritableStream (CountQueuingStrategy)', run: () => runWhatwgWritable(n) },
    // The adapter rows' own streams with a counting sink and no coordinator: what the stream
    // machinery costs, so that the adapter's share is the difference.
    { name: NODE_STREAM_PEER, run: () => runPipelineIntoWritable(n) },
    { name: WHATWG_STREAM_PEER, run: () => runPipeToWritableStream(n) },
    { name: BARE_AWAIT, run: () => runBareAwait(n) },
    { name: 'p-queue', run: () => runPQueue(n) },
    { name: 'fastq (promise)', run: () => runFastq(n) },
  ];
}

export async function run(context) {
  return runFeeds(context, { als: false });
}

export async function runFeeds({ lib, libNode, quick }, { als }) {
  const n = quick ? 200_000 : 1_000_000;
  const warmup = 1;
  const rounds = 7;
  const list = variants(lib, libNode, n);
  const storage = als ? new AsyncLocalStorage() : null;
  let request = 0;
  const samples = await interleave(
    list,
    rounds,
    (v) =>
      // As an APM agent does: every run inside its own enabled store.
      storage ? storage.run({ request: ++request }, () => v.run()) : v.run(),
    // Timed on warm code, as a service's long-lived writer runs (see `interleave`).
    { warmup, settle: false },
  );
  const writable = samples.get(WRITABLE);
  // this / Node Writable, as a rate: the median over rounds of (Writable's time / this time) in the
  // same round, so that a round slowed by a neighbour counts once.
  const vsWritable = (name) => median(samples.get(name).map((ms, i) => writable[i] / ms));
  const paired = (a, b) => median(samples.get(a).map((ms, i) => samples.get(b)[i] / ms));
  const rows = [];
  const data = { n, rounds, als, variants: {} };
  for (const v of list) {
    const ms = samples.get(v.name);
    const perRound = ms.map((m, i) => writable[i] / m);
    data.variants[v.name] = { medianMs: median(ms), samplesMs: ms, vsWritable: vsWritable(v.name), perRound };
    rows.push([
      v.ours ? `**${v.name}**` : v.name,
      fmtMs(median(ms)),
      `${((median(ms) * 1e6) / n).toFixed(0)} ns`,
      fmtRatio(vsWritable(v.name)),
      `${fmtRatio(Math.min(...perRound))} – ${fmtRatio(Math.max(...perRound))}`,
    ]);
  }
  const where = als ? 'under AsyncLocalStorage' : 'plain';
  const tryVsWritable = vsWritable('trySubmit + ready');
  const submitVsPQueue = paired('awaited submit', 'p-queue');
  const submitVsWritable = vsWritable('awaited submit');
  const targets = [
    {
      text: `trySubmit + ready >= 1.0x Node Writable (${where})`,
      measured: fmtRatio(tryVsWritable),
      pass: tryVsWritable >= 1,
    },
    als
      ? {
          text: 'awaited submit >= 0.5x Node Writable (under AsyncLocalStorage)',
          measured: fmtRatio(submitVsWritable),
          pass: submitVsWritable >= 0.5,
        }
      : {
          text: 'awaited submit >= 10x p-queue (plain)',
          measured: fmtRatio(submitVsPQueue),
          pass: submitVsPQueue >= 10,
        },
  ];
  if (als) {
    const pq = paired('awaited submit', 'p-queue');
    targets.push({
      text: 'awaited submit >= 10x p-queue (under AsyncLocalStorage)',
      measured: fmtRatio(pq),
      pass: pq >= 10,
    });
  }
  // The adapter rows against their own streams with no coordinator, and the awaited feeds against
  // the bare `await` every awaited per-item API pays. The extra cost per item is the paired
  // difference in the same round, so that a round slowed by a neighbour counts once.
  const extraNs = (a, b) => median(samples.get(a).map((ms, i) => ((ms - samples.get(b)[i]) * 1e6) / n));
  const adapterVsPeer = [
    ['pipeline into toNodeWritable', NODE_STREAM_PEER],
    ['pipeTo into toWritableStream', WHATWG_STREAM_PEER],
  ].map(([adapter, peer]) => ({
    adapter,
    peer,
    ratio: paired(adapter, peer),
    extraNs: extraNs(adapter, peer),
  }));
  const bareAwaitVsWritable = vsWritable(BARE_AWAIT);
  const submitVsBareAwait = paired('awaited submit', BARE_AWAIT);
  data.adapterVsPeer = adapterVsPeer;
  data.bareAwaitVsWritable = bareAwaitVsWritable;
  data.submitVsBareAwait = submitVsBareAwait;
  const readerVsPipeTo = paired(READER_LOOP, 'pipeTo into toWritableStream');
  data.readerVsPipeTo = readerVsPipeTo;
  const footnotes = [
    ...adapterVsPeer.map(
      ({ adapter, peer, ratio, extraNs }) =>
        `_${adapter}_ runs at ${fmtRatio(ratio)} of _${peer}_ (the same source into the same stream, counting instead of submitting): the adapter and its coordinator add ${extraNs.toFixed(0)} ns an item to what the stream itself costs.`,
    ),
    `_${BARE_AWAIT}_ runs at ${fmtRatio(bareAwaitVsWritable)} of the Node Writable (${where}): no API awaited once per item can do better. _awaited submit_ runs at ${fmtRatio(submitVsBareAwait)} of it.`,
    `_${READER_LOOP}_ runs at ${fmtRatio(readerVsPipeTo)} of _pipeTo into toWritableStream_ (the same ReadableStream, read by hand).`,
  ];
  return {
    note:
      `${fmtInt(n)} items per run, ${rounds} interleaved rounds after ${warmup} warm-up round; ${als ? 'every run inside `AsyncLocalStorage.run` (async hooks enabled in this process)' : 'no async context tracking'}. ` +
      'Coordinator: capacity 10 000, batches of 500, 4 workers, `bus: null`, a counting sink, then `stop({ drain: true })`. ' +
      "The plain stream peers of the adapter rows keep the adapters' default `highWaterMark` of 16. " +
      "_vs Node Writable_ is the median over rounds of (the Writable's time / this time) in the same round: above 1 this is faster.",
    tables: [
      { headers: ['variant', 'median time', 'per item', 'vs Node Writable', 'range (per round)'], rows },
    ],
    footnotes,
    data,
    targets,
  };
}
