// Scenario 2: what level tracking and feedback listeners cost the coordinator's hot path.
import { runCoordinator } from '../coordinator-runs.mjs';
import { fmtInt, fmtMs, fmtPct, fmtRate, fmtRatio, interleave, median } from '../harness.mjs';

export const id = 'feedback';
export const title = '2. Feedback overhead: the same coordinator with and without tracking';

export async function run({ lib, quick }) {
  const n = quick ? 200_000 : 1_000_000;
  const warmup = quick ? 2 : 1;
  const rounds = 9;
  // The first two decide the target; the others take the full set apart to show what costs.
  const variants = [
    { name: 'bus: null, no subscribers', tracking: 'none' },
    { name: 'bus listener + feedback$ + level$ + depth$', tracking: 'full' },
    { name: 'bus listener only', tracking: 'bus+listener' },
    { name: 'bus listener + feedback$ + level$', tracking: 'bus+listener+level$' },
    { name: 'depth$ only (bus: null)', tracking: 'depth$ only' },
  ];
  const events = {};
  const samples = await interleave(
    variants,
    rounds,
    async (v) => {
      const result = await runCoordinator(lib, n, v.tracking);
      events[v.name] = result.events;
      return result.value;
    },
    // Timed on warm code, as a service's long-lived coordinator runs (see `interleave`).
    { warmup, settle: false },
  );
  const base = samples.get(variants[0].name);
  const full = samples.get(variants[1].name);
  const baseRate = n / (median(base) / 1000);
  const fullRate = n / (median(full) / 1000);
  // Per-round pairs resist a slow round better than a ratio of medians.
  const pairedRatio = median(full.map((ms, i) => base[i] / ms));
  const overhead = 1 - pairedRatio;
  const levels = samples.get('bus listener + feedback$ + level$');
  const levelsOnly = 1 - median(levels.map((ms, i) => base[i] / ms));
  const rows = variants.map((v) => {
    const ms = samples.get(v.name);
    const rate = n / (median(ms) / 1000);
    const paired = median(ms.map((m, i) => base[i] / m));
    return [
      v.name,
      fmtMs(median(ms)),
      fmtRate(rate),
      fmtInt(events[v.name] ?? 0),
      fmtRatio(paired),
      fmtPct(1 - paired),
    ];
  });
  return {
    note: `${fmtInt(n)} items per run, ${rounds} interleaved rounds after ${warmup} warm-up round(s); overhead = 1 - median of per-round (tracked rate / untracked rate).`,
    tables: [
      {
        headers: [
          'variant',
          'median time',
          'median rate',
          'events (last run)',
          'vs untracked (paired)',
          'overhead',
        ],
        rows,
      },
    ],
    footnotes: [
      `tracking overhead: ${fmtPct(overhead)} (ratio of medians: ${fmtPct(1 - fullRate / baseRate)})`,
    ],
    data: {
      n,
      rounds,
      samplesMs: Object.fromEntries(samples),
      baseRate,
      fullRate,
      pairedRatio,
      overhead,
      levelsOnly,
    },
    targets: [
      {
        text: 'feedback tracking (bus listener, feedback$, level$, depth$) costs <= 10 %',
        measured: fmtPct(overhead),
        pass: overhead <= 0.1,
      },
      {
        text: 'level tracking and bus listeners (bus listener, feedback$, level$; no depth$) cost <= 10 %',
        measured: fmtPct(levelsOnly),
        pass: levelsOnly <= 0.1,
      },
    ],
  };
}
