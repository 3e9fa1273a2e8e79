// A small SVG line chart for the HTML report and the dashboard: linear or log axes, labelled ticks,
// shaded phase bands (labelled in a strip above the plot, so no label sits on a gridline), marked
// spans and moments over them, a legend that wraps. Static markup only (no script), so the report
// reads with JavaScript off; each line carries its data (`data-series`, `data-points`) so a test
// in a browser can read what was drawn.
import { escapeHtml } from '../util/untrusted.js';

export interface Series {
  name: string;
  color: string;
  /** [x, y] in data units; a point with a non-finite or (on a log axis) non-positive coordinate breaks the line. */
  points: [number, number][];
  dash?: string;
  /** Line width (default 2). */
  width?: number;
  /** A stable name for the line in the markup (`data-series`), for tests and scripts. */
  key?: string;
}

export interface Band {
  from: number;
  to: number;
  label: string;
  fill: string;
}

/** A span drawn over the bands (e.g. a freeze the verdict counted): `data-mark` names its kind. */
export interface Mark extends Band {
  kind: string;
}

/** A moment on the x axis, drawn as a vertical line with a short label (e.g. a close). */
export interface Moment {
  at: number;
  label: string;
  color: string;
}

export interface Axis {
  label: string;
  log?: boolean;
  min?: number;
  max?: number;
  /** Tick values and their labels; default: evenly spaced (linear) or decades (log). */
  ticks?: { value: number; label: string }[];
  format?: (v: number) => string;
}

export interface ChartSpec {
  title: string;
  width?: number;
  height?: number;
  x: Axis;
  y: Axis;
  series: Series[];
  bands?: Band[];
  marks?: Mark[];
  moments?: Moment[];
}

const n = (v: number): string => String(Math.round(v * 10) / 10);
/** A data value as written in `data-points`: short, exact enough to read back. */
const d3 = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : 'NaN');
/** Approximate text width at the chart's small font sizes (no layout engine here). */
const textWidth = (text: string, px: number): number => text.length * px * 0.56;

/** Round tick values (1, 2, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Decade ticks of a log axis; with fewer than three decades in view, 2× and 5× ticks too. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const few = Math.log10(hi) - Math.log10(lo) < 2.5;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of few ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

function extent(values: number[], axis: Axis): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!axis.log || v > 0));
  let lo = axis.min ?? (finite.length ? Math.min(...finite) : 0);
  let hi = axis.max ?? (finite.length ? Math.max(...finite) : 1);
  if (axis.log) {
    lo = Math.max(lo, 1e-9);
    if (hi <= lo) hi = lo * 10;
  } else {
    if (hi <= lo) hi = lo + 1;
    // headroom, so a line at the maximum does not run along the frame
    if (axis.max === undefined) hi = lo + (hi - lo) * 1.06;
  }
  return [lo, hi];
}

/** Legend entries laid out in rows that fit the chart's width: [x, row] per series. */
function legendLayout(series: Series[], left: number, width: number): { at: [number, number][]; rows: number } {
  const at: [number, number][] = [];
  let x = left;
  let row = 0;
  for (const s of series) {
    const w = 30 + textWidth(s.name, 11);
    if (x > left && x + w > width - 8) {
      row++;
      x = left;
    }
    at.push([x, row]);
    x += w;
  }
  return { at, rows: series.length ? row + 1 : 0 };
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 560;
  const legend = legendLayout(spec.series, 64, W);
  const extraRows = Math.max(0, legend.rows - 1);
  const H = (spec.height ?? 300) + extraRows * 16;
  const labelled = (spec.bands ?? []).length > 0;
  const m = { left: 64, right: 16, top: labelled ? 46 : 30, bottom: 58 + extraRows * 16 };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = extent(xs, spec.x);
  const [y0, y1] = extent(ys, spec.y);
  const ok = (axis: Axis, v: number): boolean => Number.isFinite(v) && (!axis.log || v > 0);
  const ticks = (axis: Axis, lo: number, hi: number): { value: number; label: string }[] => {
    if (axis.ticks) return axis.ticks.filter((t) => t.value >= lo - 1e-9 && t.value <= hi + 1e-9);
    const fmt = axis.format ?? ((v: number) => String(v));
    return (axis.log ? logTicks(lo, hi) : niceTicks(lo, hi)).map((v) => ({ value: v, label: fmt(v) }));
  };
  const yTicks = ticks(spec.y, y0, y1);
  // room for the widest y tick label beside the rotated axis label
  m.left = Math.max(m.left, Math.ceil(30 + Math.max(0, ...yTicks.map((t) => textWidth(t.label, 11)))));
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const tx = (v: number): number => m.left + (spec.x.log ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0)) * pw;
  const ty = (v: number): number => m.top + ph - (spec.y.log ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(spec.title)}">`);
  out.push(`<title>${escapeHtml(spec.title)}</title>`);
  out.push(`<text x="${m.left}" y="18" class="ct">${escapeHtml(spec.title)}</text>`);
  // phase labels sit in their own strip above the plot; one that does not fit beside the previous
  // one moves to a second row, and one that fits nowhere is left to its band's tooltip
  const rowEnds = [-Infinity, -Infinity];
  for (const b of spec.bands ?? []) {
    const a = tx(Math.max(b.from, x0));
    const z = tx(Math.min(b.to, x1));
    if (!(z > a)) continue;
    out.push(`<rect x="${n(a)}" y="${m.top}" width="${n(z - a)}" height="${ph}" fill="${escapeHtml(b.fill)}"><title>${escapeHtml(b.label)}</title></rect>`);
    const w = textWidth(b.label, 10);
    const x = Math.max(a + 2, Math.min((a + z) / 2 - w / 2, z - w - 2));
    const row = rowEnds.findIndex((end) => x >= end + 4 && x + w <= W - 2);
    if (row < 0) continue;
    rowEnds[row] = x + w;
    out.push(`<text x="${n(x)}" y="${m.top - 4 - row * 11}" class="bl">${escapeHtml(b.label)}</text>`);
  }
  for (const k of spec.marks ?? []) {
    const a = tx(Math.max(k.from, x0));
    const z = tx(Math.min(k.to, x1));
    if (!(z >= a)) continue;
    out.push(
      `<rect x="${n(a)}" y="${m.top}" width="${n(Math.max(z - a, 1.5))}" height="${ph}" fill="${escapeHtml(k.fill)}" class="mark" data-mark="${escapeHtml(k.kind)}" data-from="${d3(k.from)}" data-to="${d3(k.to)}"><title>${escapeHtml(k.label)}</title></rect>`,
    );
  }
  for (const t of yTicks) {
    const y = ty(t.value);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(y)}" y2="${n(y)}" class="grid"/>`);
    out.push(`<text x="${m.left - 6}" y="${n(y + 4)}" text-anchor="end" class="tk">${escapeHtml(t.label)}</text>`);
  }
  for (const t of ticks(spec.x, x0, x1)) {
    const x = tx(t.value);
    out.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${m.top}" y2="${m.top + ph}" class="grid"/>`);
    out.push(`<text x="${n(x)}" y="${m.top + ph + 16}" text-anchor="middle" class="tk">${escapeHtml(t.label)}</text>`);
  }
  for (const k of spec.moments ?? []) {
    if (!(k.at >= x0 && k.at <= x1)) continue;
    const x = tx(k.at);
    out.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${m.top}" y2="${m.top + ph}" stroke="${escapeHtml(k.color)}" stroke-width="1.5" stroke-dasharray="2 2" data-moment="${d3(k.at)}"><title>${escapeHtml(k.label)}</title></line>`);
    out.push(`<text x="${n(x + 3)}" y="${m.top + ph - 4}" class="bl" fill="${escapeHtml(k.color)}">${escapeHtml(k.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" class="frame"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle" class="al">${escapeHtml(spec.x.label)}</text>`);
  out.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" class="al">${escapeHtml(spec.y.label)}</text>`);
  for (const s of spec.series) {
    let d = '';
    let penDown = false;
    const lone: [number, number][] = [];
    s.points.forEach(([x, y], i) => {
      if (!(ok(spec.x, x) && ok(spec.y, y) && x >= x0 && x <= x1)) {
        penDown = false;
        return;
      }
      const next = s.points[i + 1];
      const nextOk = next !== undefined && ok(spec.x, next[0]) && ok(spec.y, next[1]) && next[0] >= x0 && next[0] <= x1;
      if (!penDown && !nextOk) lone.push([x, y]);
      d += `${penDown ? 'L' : 'M'}${n(tx(x))} ${n(ty(Math.min(Math.max(y, y0), y1)))}`;
      penDown = true;
    });
    if (d === '') continue;
    const data = s.key ? ` data-series="${escapeHtml(s.key)}" data-points="${s.points.map(([x, y]) => `${d3(x)},${d3(y)}`).join(' ')}"` : '';
    out.push(
      `<path d="${d}" fill="none" stroke="${escapeHtml(s.color)}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : ''}${data}><title>${escapeHtml(s.name)}</title></path>`,
    );
    for (const [x, y] of lone) out.push(`<circle cx="${n(tx(x))}" cy="${n(ty(Math.min(Math.max(y, y0), y1)))}" r="3" fill="${escapeHtml(s.color)}"/>`);
  }
  spec.series.forEach((s, i) => {
    const [lx, row] = legend.at[i]!;
    const y = m.top + ph + 50 + row * 16;
    out.push(`<line x1="${n(lx)}" x2="${n(lx + 18)}" y1="${y - 4}" y2="${y - 4}" stroke="${escapeHtml(s.color)}" stroke-width="3"${s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : ''}/>`);
    out.push(`<text x="${n(lx + 22)}" y="${y}" class="lg">${escapeHtml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
