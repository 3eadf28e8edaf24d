// Small helpers shared by the scenarios: timing, statistics, interleaved rounds, heap readings and
// the markdown tables the runner prints.
import { setTimeout as sleepMs } from 'node:timers/promises';

export const now = () => performance.now();
export const sleep = (ms) => sleepMs(ms);

/** The median of a list of numbers (the list is not modified). */
export function median(values) {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Runs every variant once per round, in the same order each round (A B C A B C ...), so that a
 * noisy neighbour slows all of them rather than one; returns each variant's samples.
 * `run(variant)` resolves to a number (the sample) or an object with a `value`.
 *
 * `settle` (default true) forces two full collections before each run, so that one run's garbage
 * is not collected during the next. Throughput scenarios turn it off: a forced full collection
 * also frees the hidden classes of the objects the last run left behind, and V8 then throws away
 * the optimized code built on them, so every run would time the JIT warming up again rather than
 * a live writer's cost per item. Objects that stay alive keep theirs (most likely why Node's
 * Writable, whose own instances such as `process.stdout` live on, did not slow down), so the
 * forced collections cost some variants a warm-up each run and others nothing.
 */
export async function interleave(variants, rounds, run, { warmup = 1, onSample, settle = true } = {}) {
  const samples = new Map(variants.map((v) => [v.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const variant of variants) {
      if (settle) settleHeap();
      const sample = await run(variant);
      if (round >= 0) {
        samples.get(variant.name).push(sample);
        onSample?.(variant, sample, round);
      }
    }
  }
  return samples;
}

/** Collects garbage twice (finalizers can free more on the second pass) when --expose-gc is on. */
export function settleHeap() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

/** Heap in use after a full collection, in bytes. */
export function heapAfterGc() {
  settleHeap();
  return process.memoryUsage().heapUsed;
}

/** Lets pending timers and I/O callbacks run (a macrotask turn). */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// Formatting

export function fmtInt(n) {
  if (!Number.isFinite(n)) return String(n);
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRate(perSecond) {
  if (!Number.isFinite(perSecond)) return String(perSecond);
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

export function fmtRatio(r) {
  if (!Number.isFinite(r)) return String(r);
  return r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0.01) return `${(ms * 1000).toFixed(2)} µs`;
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`;
  return `${ms.toFixed(ms < 100 ? 2 : 0)} ms`;
}

export function fmtBytes(bytes) {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(2)} MiB`;
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  return `${sign}${abs} B`;
}

export function fmtPct(fraction) {
  if (!Number.isFinite(fraction)) return String(fraction);
  return `${(fraction * 100).toFixed(1)} %`;
}

/** A markdown table (it reads well in a terminal too). Columns are padded to align. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(cells[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** One scenario's section of the report, as markdown lines (used by run.mjs and report.mjs). */
export function formatScenario(id, result) {
  const lines = [`## ${result.title ?? id}`, ''];
  if (result.error) return [...lines, `FAILED: ${result.error}`];
  if (result.note) lines.push(result.note, '');
  for (const t of result.tables) {
    if (t.caption) lines.push(t.caption, '');
    lines.push(table(t.headers, t.rows), '');
  }
  for (const line of result.footnotes ?? []) lines.push(line, '');
  if (result.seconds !== undefined) lines.push(`(${result.seconds.toFixed(1)} s)`);
  return lines;
}

/** The targets table, as markdown lines. */
export function formatTargets(targets) {
  return [
    '## Targets',
    '',
    table(
      ['scenario', 'target', 'measured', 'met'],
      targets.map((t) => [t.scenario, t.text, t.measured, t.pass ? 'yes' : 'NO']),
    ),
  ];
}
