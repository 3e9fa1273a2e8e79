// A small SVG line chart for the HTML report: linear or log axes, labelled ticks, shaded bands,
// a legend. Static markup only (no script), so the report reads with JavaScript off.
import { escapeHtml } from '../util/untrusted.js';

export interface Series {
  name: string;
  color: string;
  /** [x, y] in data units; a point with a non-finite or (on a log axis) non-positive coordinate breaks the line. */
  points: [number, number][];
  dash?: string;
}

export interface Band {
  from: number;
  to: number;
  label: string;
  fill: string;
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
}


const n = (v: number): string => String(Math.round(v * 10) / 10);

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

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 560;
  const H = spec.height ?? 300;
  const m = { left: 64, right: 16, top: 30, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = extent(xs, spec.x);
  const [y0, y1] = extent(ys, spec.y);
  const tx = (v: number): number => m.left + (spec.x.log ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0)) * pw;
  const ty = (v: number): number => m.top + ph - (spec.y.log ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0)) * ph;
  const ok = (axis: Axis, v: number): boolean => Number.isFinite(v) && (!axis.log || v > 0);
  const ticks = (axis: Axis, lo: number, hi: number): { value: number; label: string }[] => {
    if (axis.ticks) return axis.ticks.filter((t) => t.value >= lo - 1e-9 && t.value <= hi + 1e-9);
    const fmt = axis.format ?? ((v: number) => String(v));
    if (axis.log) {
      const out: { value: number; label: string }[] = [];
      for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) out.push({ value: 10 ** e, label: fmt(10 ** e) });
      return out;
    }
    return niceTicks(lo, hi).map((v) => ({ value: v, label: fmt(v) }));
  };

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(spec.title)}">`);
  out.push(`<title>${escapeHtml(spec.title)}</title>`);
  out.push(`<text x="${m.left}" y="18" class="ct">${escapeHtml(spec.title)}</text>`);
  for (const b of spec.bands ?? []) {
    const a = tx(Math.max(b.from, x0));
    const z = tx(Math.min(b.to, x1));
    if (!(z > a)) continue;
    out.push(`<rect x="${n(a)}" y="${m.top}" width="${n(z - a)}" height="${ph}" fill="${escapeHtml(b.fill)}"><title>${escapeHtml(b.label)}</title></rect>`);
    out.push(`<text x="${n(a + 4)}" y="${m.top + 12}" class="bl">${escapeHtml(b.label)}</text>`);
  }
  for (const t of ticks(spec.y, y0, y1)) {
    const y = ty(t.value);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${n(y)}" y2="${n(y)}" class="grid"/>`);
    out.push(`<text x="${m.left - 6}" y="${n(y + 4)}" text-anchor="end" class="tk">${escapeHtml(t.label)}</text>`);
  }
  for (const t of ticks(spec.x, x0, x1)) {
    const x = tx(t.value);
    out.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${m.top}" y2="${m.top + ph}" class="grid"/>`);
    out.push(`<text x="${n(x)}" y="${m.top + ph + 16}" text-anchor="middle" class="tk">${escapeHtml(t.label)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" class="frame"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 26}" text-anchor="middle" class="al">${escapeHtml(spec.x.label)}</text>`);
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
    out.push(`<path d="${d}" fill="none" stroke="${escapeHtml(s.color)}" stroke-width="2"${s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : ''}><title>${escapeHtml(s.name)}</title></path>`);
    for (const [x, y] of lone) out.push(`<circle cx="${n(tx(x))}" cy="${n(ty(Math.min(Math.max(y, y0), y1)))}" r="3" fill="${escapeHtml(s.color)}"/>`);
  }
  let lx = m.left;
  for (const s of spec.series) {
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${H - 8}" y2="${H - 8}" stroke="${escapeHtml(s.color)}" stroke-width="3"${s.dash ? ` stroke-dasharray="${escapeHtml(s.dash)}"` : ''}/>`);
    out.push(`<text x="${lx + 22}" y="${H - 4}" class="lg">${escapeHtml(s.name)}</text>`);
    lx += 30 + s.name.length * 6.5;
  }
  out.push('</svg>');
  return out.join('\n');
}
