import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { COORDINATOR_METRICS } from '../../lib/metrics/coordinator-metric-catalog.js';

// docs/metrics.md and the Grafana dashboard are what operators copy: every query must name a metric
// the adapters export, with labels those metrics have, and the tables must match the catalog.
const root = resolve(__dirname, '../..');
const doc = readFileSync(resolve(root, 'docs/metrics.md'), 'utf8');
const dashboard = JSON.parse(readFileSync(resolve(root, 'docs/grafana-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
};

const specs = Object.values(COORDINATOR_METRICS);
/** Every series name a scrape can show (a histogram shows three). */
const exportedNames = new Map<string, (typeof specs)[number]>();
for (const spec of specs) {
  const name = `mds_${spec.name}`;
  if (spec.kind === 'histogram') {
    for (const suffix of ['_bucket', '_sum', '_count']) exportedNames.set(name + suffix, spec);
  } else {
    exportedNames.set(name, spec);
  }
}

const metricsIn = (expr: string) => [...new Set(expr.match(/\bmds_[a-z_]+\b/g) ?? [])];
function labelsIn(expr: string): string[] {
  const labels = new Set<string>();
  for (const [, inside] of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const [, label] of inside!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
      labels.add(label!);
  }
  for (const [, list] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const label of list!.split(',')) if (label.trim() !== '') labels.add(label.trim());
  }
  return [...labels];
}

/** What is wrong with one query: unknown metrics, or labels none of its metrics have. */
function problems(expr: string): string[] {
  const names = metricsIn(expr);
  if (names.length === 0) return [`${expr}: names no metric`];
  const unknown = names.filter((name) => !exportedNames.has(name));
  if (unknown.length > 0) return [`${expr}: unknown ${unknown.join(', ')}`];
  const allowed = new Set<string>(names.flatMap((name) => [...exportedNames.get(name)!.labels]));
  if (names.some((name) => name.endsWith('_bucket'))) allowed.add('le');
  return labelsIn(expr)
    .filter((label) => !allowed.has(label))
    .map((label) => `${expr}: label ${label} not on ${names.join(', ')}`);
}

const dashboardQueries = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ...dashboard.templating.list.flatMap((variable) =>
    typeof variable.query === 'object' ? [variable.query.query] : [],
  ),
];
const alertQueries = [...doc.matchAll(/^\s*expr: (.+)$/gm)].map(([, expr]) => expr!);

describe('docs/grafana-dashboard.json', () => {
  it('names only exported metrics, with their labels, in every query', () => {
    expect(dashboardQueries.length).toBeGreaterThanOrEqual(15);
    expect(dashboardQueries.flatMap(problems)).toEqual([]);
  });

  it('shows every exported metric somewhere', () => {
    const shown = new Set(dashboardQueries.flatMap(metricsIn).map((name) => exportedNames.get(name)!.name));
    expect([...shown].sort()).toEqual(specs.map((spec) => spec.name).sort());
  });

  it('catches a query that names no exported metric (the check can fail)', () => {
    expect(problems('rate(mds_coord_items_lost_total[5m])')).toEqual([
      'rate(mds_coord_items_lost_total[5m]): unknown mds_coord_items_lost_total',
    ]);
    expect(problems('max by (worker_id) (mds_coord_queue_depth)')).toEqual([
      'max by (worker_id) (mds_coord_queue_depth): label worker_id not on mds_coord_queue_depth',
    ]);
  });
});

describe('docs/metrics.md', () => {
  it('has alert examples for hard for more than a minute and rising dead letters, on exported metrics', () => {
    expect(alertQueries).toContain('max by (coord_id) (mds_coord_backpressure_level) == 2');
    expect(alertQueries).toContain(
      'sum by (coord_id, reason) (increase(mds_coord_items_dead_lettered_total[10m])) > 0',
    );
    expect(doc).toMatch(/expr: max by \(coord_id\) \(mds_coord_backpressure_level\) == 2\n\s+for: 1m/);
    expect(alertQueries.flatMap(problems)).toEqual([]);
  });

  it('lists every metric in its table with its type and labels', () => {
    const rows = [...doc.matchAll(/^\| `(mds_[a-z_]+)`\s*\| (\w+)\s*\| ([^|]*)\|/gm)].map(
      ([, name, kind, labels]) => ({
        name: name!,
        kind: kind!,
        labels: [...labels!.matchAll(/`([a-z_]+)`/g)].map(([, label]) => label!),
      }),
    );
    expect(rows).toEqual(
      specs.map((spec) => ({ name: `mds_${spec.name}`, kind: spec.kind, labels: [...spec.labels] })),
    );
  });

  it('shows a scrape with every exported metric and its help text', () => {
    const scrape = /## A real scrape[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)![1]!;
    const names = new Set([...scrape.matchAll(/^(mds_[a-z_]+)[{ ]/gm)].map(([, name]) => name!));
    expect([...names].sort()).toEqual([...exportedNames.keys()].sort());
    for (const spec of specs) expect(scrape).toContain(`# HELP mds_${spec.name} ${spec.help}\n`);
  });
});

/** Each series of a scrape (name and labels, without the value), e.g. `mds_x{coord_id="ticks"}`. */
const seriesIn = (scrape: string) =>
  new Set([...scrape.matchAll(/^(mds_[a-z_]+(?:\{[^}]*\})?) \S+$/gm)].map(([, series]) => series!));

describe('examples/metrics.mjs', () => {
  it('prints a scrape with every metric, and balances its accounting', () => {
    const run = spawnSync(process.execPath, [resolve(root, 'examples/metrics.mjs')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    // The page's scrape is this example's output: every series it shows is in a fresh run too.
    const documented = seriesIn(/## A real scrape[\s\S]*?```text\n([\s\S]*?)```/.exec(doc)![1]!);
    const real = seriesIn(run.stdout);
    expect(documented.size).toBeGreaterThan(30);
    expect([...documented].filter((series) => !real.has(series))).toEqual([]);
    for (const name of exportedNames.keys()) expect(run.stdout).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
    expect(run.stdout).toMatch(
      /^mds_coord_items_dead_lettered_total\{coord_id="ticks",reason="non_retryable"\} 5$/m,
    );
    expect(run.stdout).toMatch(/^mds_feedback_events_total\{coordinator_id="ticks",level="hard"\} [1-9]/m);
    const [, submitted, written, deadLettered] =
      /submitted (\d+), written (\d+) \(\d+ rows\), dead-lettered (\d+)/.exec(run.stderr)!;
    expect(Number(submitted)).toBe(Number(written) + Number(deadLettered));
  }, 60_000);
});
