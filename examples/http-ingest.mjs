// An HTTP ingest endpoint in front of a WriteCoordinator: POST /bars takes a JSON array of bars
// and answers 202 once they are queued, or 429 with Retry-After while the coordinator's level is
// `hard`, so clients back off instead of the server buffering without bound. A client in the same
// file sends 3 000 bars, four requests of 50 at a time, and honours Retry-After. Run after `npm run build`:
//   node examples/http-ingest.mjs
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { WriteCoordinator } from '../dist/esm/index.js';

// The store: 500 rows a second (a stand-in for a loaded database), slower than the client sends.
const stored = new Set();
const coordinator = new WriteCoordinator({
  id: 'ingest',
  capacity: 1_000, // four requests of 50 fit above the hard watermark (800), so none is refused
  workers: 2,
  batchSize: 100,
  overflow: 'reject',
  bus: null,
  sink: async (bars, { signal }) => {
    await sleep(bars.length * 4, undefined, { signal }); // 2 workers: 500 rows/s
    for (const bar of bars) stored.add(bar.seq);
  },
});

const RETRY_AFTER_S = 1;
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/bars') return res.writeHead(404).end();
  // Refuse before reading the body: a saturated store should cost the server nothing.
  if (coordinator.level === 'hard') {
    res.writeHead(429, { 'retry-after': String(RETRY_AFTER_S) }).end();
    req.resume();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let bars;
    try {
      bars = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!Array.isArray(bars)) throw new TypeError('expected a JSON array of bars');
    } catch (error) {
      return res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error.message));
    }
    let refused = 0;
    for (const bar of bars) coordinator.submit(bar).catch(() => refused++);
    // submit accepts or refuses synchronously under 'reject'; the count is final after a microtask.
    queueMicrotask(() =>
      refused === 0
        ? res.writeHead(202).end()
        : res.writeHead(503, { 'retry-after': String(RETRY_AFTER_S) }).end(`${refused} refused`),
    );
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/bars`;

// The client: 60 requests of 50 bars, 4 at a time, each retried after Retry-After on 429.
const TOTAL = 3_000;
const PER_REQUEST = 50;
let next = 0;
const statuses = { 202: 0, 429: 0, other: 0 };
async function client() {
  while (next < TOTAL) {
    const bars = Array.from({ length: PER_REQUEST }, (_, i) => ({
      seq: next + i,
      symbol: 'ACME',
      close: 100,
    }));
    next += PER_REQUEST;
    for (;;) {
      const response = await fetch(url, { method: 'POST', body: JSON.stringify(bars) });
      await response.arrayBuffer();
      if (response.status === 202) {
        statuses[202]++;
        break;
      }
      if (response.status === 429) {
        statuses[429]++;
        await sleep(Number(response.headers.get('retry-after')) * 1000);
        continue;
      }
      statuses.other++;
      break;
    }
  }
}
await Promise.all([client(), client(), client(), client()]);
const report = await coordinator.stop({ drain: true });
server.close();
console.log(
  `accepted requests ${statuses[202]}, answered 429 ${statuses[429]} times, other ${statuses.other}`,
);
console.log(
  `written ${report.written}, distinct bars stored ${stored.size}, refused ${coordinator.health().rejected}`,
);
if (stored.size !== TOTAL || statuses.other !== 0) process.exitCode = 1;
