// The chart at the end of the run, in plain SVG: queue depth over time on the watermark bands
// (shaded by the level they stand for) with a strip of the level actually held, and below it the
// producer's and the store's rates. Every series is a <path> with an id, so a test can find it.
const WIDTH = 960;
const LEFT = 86;
const RIGHT = 150;
const PLOT_W = WIDTH - LEFT - RIGHT;
const DEPTH = { top: 136, height: 250 };
const RATE = { top: 446, height: 160 };
const HEIGHT = RATE.top + RATE.height + 58;
const LEVEL_FILL = { ok: '#d9f2dd', soft: '#fdebc8', hard: '#f8d3d0' };
const LEVEL_STRONG = { ok: '#3a9d4f', soft: '#e0a020', hard: '#d0453b' };
const COLOUR = { depth: '#1f4e9c', producer: '#e07020', store: '#178a8a' };

const esc = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (value) => Math.round(value).toLocaleString('en-US');
const r1 = (value) => Math.round(value * 10) / 10;

/** Round tick steps (1, 2, 5 x 10^n) giving about `count` ticks up to `max`. */
function ticks(max, count) {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(v);
  return out;
}

function path(id, points, colour, width) {
  const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${r1(x)},${r1(y)}`).join(' ');
  return `<path id="${id}" d="${d}" fill="none" stroke="${colour}" stroke-width="${width}" stroke-linejoin="round"/>`;
}

function yAxis(panel, max, unit, x) {
  const parts = [];
  for (const value of ticks(max, 5)) {
    const y = panel.top + panel.height - (value / max) * panel.height;
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${r1(y)}" y2="${r1(y)}" stroke="#000" stroke-opacity="0.08"/>`,
    );
    parts.push(`<text x="${LEFT - 8}" y="${r1(y + 4)}" text-anchor="end">${fmt(value)}</text>`);
  }
  const cy = panel.top + panel.height / 2;
  parts.push(
    `<text x="${x}" y="${cy}" text-anchor="middle" transform="rotate(-90 ${x} ${cy})" class="unit">${esc(unit)}</text>`,
  );
  return parts.join('\n');
}

/**
 * @param run.samples `{ t, depth, level, producerRate, storeRate }`, `t` in seconds from the start.
 * @param run.watermarks the fractions of capacity where `soft` and `hard` begin.
 * @param run.producerEndS when the producer stopped, in seconds from the start.
 */
export function renderChart({ samples, capacity, watermarks, producerEndS, title, subtitle }) {
  const end = Math.max(1, samples.at(-1)?.t ?? 1);
  const x = (t) => LEFT + (t / end) * PLOT_W;
  const yDepth = (depth) => DEPTH.top + DEPTH.height - (depth / capacity) * DEPTH.height;
  const rateMax = Math.max(100, ...samples.map((s) => Math.max(s.producerRate, s.storeRate))) * 1.1;
  const yRate = (rate) => RATE.top + RATE.height - (rate / rateMax) * RATE.height;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<title>${esc(title)}</title>`,
    `<style>.unit { font-size: 12px; fill: #444 } .panel { font-size: 14px; font-weight: 600 } .band { font-size: 12px }</style>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${LEFT}" y="30" font-size="18" font-weight="700">${esc(title)}</text>`,
    `<text x="${LEFT}" y="52" fill="#555">${esc(subtitle)}</text>`,
  );

  // Depth panel: the watermark bands, the level held over time, then the depth itself.
  const bands = [
    ['ok', 0, watermarks.soft, 'ok'],
    ['soft', watermarks.soft, watermarks.hard, `soft from ${watermarks.soft * 100}%`],
    ['hard', watermarks.hard, 1, `hard from ${watermarks.hard * 100}%`],
  ];
  out.push(`<text x="${LEFT}" y="${DEPTH.top - 28}" class="panel">Queue depth (queued + in flight)</text>`);
  for (const [level, from, to, label] of bands) {
    const y0 = yDepth(to * capacity);
    const y1 = yDepth(from * capacity);
    out.push(
      `<rect id="band-${level}" x="${LEFT}" y="${r1(y0)}" width="${PLOT_W}" height="${r1(y1 - y0)}" fill="${LEVEL_FILL[level]}"/>`,
    );
    out.push(
      `<text x="${LEFT + PLOT_W + 8}" y="${r1((y0 + y1) / 2 + 4)}" class="band" fill="${LEVEL_STRONG[level]}">${esc(label)}</text>`,
    );
  }
  out.push(yAxis(DEPTH, capacity, 'items', 26));
  const strip = [];
  for (let i = 0; i < samples.length - 1; i++) {
    const s = samples[i];
    const w = x(samples[i + 1].t) - x(s.t);
    strip.push(
      `<rect x="${r1(x(s.t))}" y="${DEPTH.top - 18}" width="${r1(w + 0.5)}" height="12" fill="${LEVEL_STRONG[s.level]}"/>`,
    );
  }
  out.push(`<g id="series-level">${strip.join('')}</g>`);
  out.push(`<text x="${LEFT + PLOT_W + 8}" y="${DEPTH.top - 8}" class="band">level held</text>`);
  out.push(
    path(
      'series-depth',
      samples.map((s) => [x(s.t), yDepth(s.depth)]),
      COLOUR.depth,
      2,
    ),
  );
  out.push(
    `<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${DEPTH.top}" y2="${DEPTH.top}" stroke="#d0453b" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${LEFT + PLOT_W + 8}" y="${DEPTH.top + 8}" class="band" fill="#555">capacity ${fmt(capacity)}</text>`,
  );

  // Rate panel.
  out.push(`<text x="${LEFT}" y="${RATE.top - 14}" class="panel">Rates</text>`);
  out.push(yAxis(RATE, rateMax, 'rows per second', 26));
  out.push(
    path(
      'series-producer-rate',
      samples.map((s) => [x(s.t), yRate(s.producerRate)]),
      COLOUR.producer,
      2,
    ),
  );
  out.push(
    path(
      'series-store-rate',
      samples.map((s) => [x(s.t), yRate(s.storeRate)]),
      COLOUR.store,
      2,
    ),
  );

  // Shared time axis under both panels.
  for (const panel of [DEPTH, RATE]) {
    const bottom = panel.top + panel.height;
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${bottom}" y2="${bottom}" stroke="#444"/>`);
    out.push(`<line x1="${LEFT}" x2="${LEFT}" y1="${panel.top}" y2="${bottom}" stroke="#444"/>`);
    for (const t of ticks(end, 10)) {
      out.push(`<line x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${bottom}" y2="${bottom + 5}" stroke="#444"/>`);
      out.push(`<text x="${r1(x(t))}" y="${bottom + 18}" text-anchor="middle">${r1(t)}</text>`);
    }
  }
  out.push(
    `<text x="${LEFT + PLOT_W / 2}" y="${RATE.top + RATE.height + 40}" text-anchor="middle" class="unit">time since start (seconds)</text>`,
  );

  // Where the producer stopped and the coordinator drained what it held.
  if (producerEndS < end) {
    const px = r1(x(producerEndS));
    out.push(
      `<line id="producer-end" x1="${px}" x2="${px}" y1="${DEPTH.top}" y2="${RATE.top + RATE.height}" stroke="#555" stroke-dasharray="3 3"/>`,
    );
    out.push(
      `<text x="${px + 4}" y="${RATE.top - 14}" fill="#555">producer stops, coordinator drains</text>`,
    );
  }

  // Legend, under the title.
  const legend = [
    ['line', COLOUR.depth, 'queue depth'],
    ['line', COLOUR.producer, 'producer (bars offered/s)'],
    ['line', COLOUR.store, 'store (rows written/s)'],
  ];
  const lx = LEFT;
  legend.forEach(([, colour, label], i) => {
    const gx = lx + i * 210;
    out.push(`<line x1="${gx}" x2="${gx + 22}" y1="76" y2="76" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${gx + 28}" y="80">${esc(label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
