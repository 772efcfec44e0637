/**
 * @module
 * Hand-written SVG charts for the benchmarks, no dependencies: `cdfSvg` (empirical CDF of a
 * measurement, one step line per series, p50/p95 marked) and `timelineSvg` (cumulative count of
 * events over time, for a burst's submissions). The output is static: no scripts, generic font
 * families only, a white background (readable in a dark theme too) and a `viewBox`, so GitHub's
 * markdown renderer shows it as an image. Each chart has a <title> and a <desc> that says in words
 * what the picture shows.
 */
import { quantile } from "./stats.ts";

export interface CdfSeries {
  name: string;
  values: readonly number[];
}

export interface CdfOptions {
  title: string;
  /** Unit of the values, shown on the x axis and in the legend ("s", "ms"). */
  unit: string;
  series: readonly CdfSeries[];
  /** x-axis caption; default `value (<unit>)`. */
  xLabel?: string;
  /** When given, a line at x = 0 carries this label ("on time"). */
  zeroLabel?: string;
  /** Added to the generated <desc> (how the values were measured). */
  note?: string;
}

export interface TimelineSeries {
  name: string;
  /** Event times, in `unit` from the reference second (negative: before it). */
  times: readonly number[];
}

export interface TimelineOptions {
  title: string;
  series: readonly TimelineSeries[];
  /** Unit of `times`; default "s". */
  unit?: string;
  xLabel?: string;
  yLabel?: string;
  /** Label of the line at x = 0; default "scheduled second". */
  zeroLabel?: string;
  note?: string;
}

const W = 760;
const H = 440;
/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), plus dashes. */
const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
const DASHES = ["", "8 4", "2 3", "10 3 2 3"];
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** Round tick values (1, 2, 2.5 or 5 × 10ᵏ apart) that cover [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  let a = Math.min(lo, hi);
  let b = Math.max(lo, hi);
  if (!Number.isFinite(a) || !Number.isFinite(b)) [a, b] = [0, 1];
  if (b - a < 1e-9) {
    const pad = Math.abs(a) > 1e-9 ? Math.abs(a) / 10 : 1;
    a -= pad;
    b += pad;
  }
  const raw = (b - a) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const first = Math.floor(a / step + 1e-9);
  const last = Math.ceil(b / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** A domain padded by 3 % around [lo, hi] (no line runs along the frame) and the round ticks inside it. */
export function axis(lo: number, hi: number, count = 8): { domain: [number, number]; ticks: number[] } {
  const span = hi - lo;
  const pad = span > 1e-9 ? span * 0.03 : Math.abs(lo) > 1e-9 ? Math.abs(lo) / 10 : 1;
  const [a, b] = [lo - pad, hi + pad];
  return { domain: [a, b], ticks: niceTicks(a, b, count).filter((t) => t >= a && t <= b) };
}

/** A tick value with as many decimals as its step needs; a true minus sign for negatives. */
export function formatNumber(v: number, step: number): string {
  const decimals = Math.min(6, (String(Number(step.toPrecision(6))).split(".")[1] ?? "").length);
  return minus((Math.abs(v) < 1e-12 ? 0 : v).toFixed(decimals));
}

const minus = (s: string) => s.replace(/^-/, "−");
const fmtValue = (v: number | null) => (v === null ? "–" : minus(v.toFixed(Math.abs(v) >= 100 ? 0 : 2)));

interface Frame extends Record<"left" | "right" | "top" | "bottom", number> {
  x(v: number): number;
  y(v: number): number;
}

interface Chart {
  title: string;
  desc: string;
  legend: { name: string; detail: string }[];
  xDomain: [number, number];
  xTicks: number[];
  yTicks: number[];
  yFormat(v: number): string;
  xLabel: string;
  yLabel: string;
  zeroLabel?: string;
  body(f: Frame): string[];
}

const px = (v: number) => v.toFixed(1);

function chart(c: Chart): string {
  const legendTop = 44;
  const top = legendTop + 20 * c.legend.length + 14;
  const f: Frame = {
    left: 72,
    right: W - 40,
    top,
    bottom: H - 58,
    x: (v) => {
      const [a, b] = c.xDomain;
      return f.left + ((v - a) / (b - a)) * (f.right - f.left);
    },
    y: (v) => {
      const [a, b] = [c.yTicks[0] as number, c.yTicks[c.yTicks.length - 1] as number];
      return f.bottom - ((v - a) / (b - a)) * (f.bottom - f.top);
    },
  };
  const xStep = (c.xTicks[1] ?? 1) - (c.xTicks[0] ?? 0) || 1;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="chart-title chart-desc" ${FONT}>`,
    `<title id="chart-title">${escapeXml(c.title)}</title>`,
    `<desc id="chart-desc">${escapeXml(c.desc)}</desc>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold" fill="#222">${escapeXml(c.title)}</text>`,
  ];
  c.legend.forEach((l, i) => {
    const y = legendTop + 20 * i;
    out.push(
      `<line x1="${f.left}" y1="${y - 4}" x2="${f.left + 30}" y2="${y - 4}" stroke="${colour(i)}" stroke-width="3"${dash(i)}/>`,
      `<text x="${f.left + 38}" y="${y}" font-size="13" fill="#222"><tspan font-weight="bold">${escapeXml(l.name)}</tspan>  ${escapeXml(l.detail)}</text>`,
    );
  });
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (const t of c.xTicks)
    out.push(`<line x1="${px(f.x(t))}" y1="${f.top}" x2="${px(f.x(t))}" y2="${f.bottom}"/>`);
  for (const t of c.yTicks)
    out.push(`<line x1="${f.left}" y1="${px(f.y(t))}" x2="${f.right}" y2="${px(f.y(t))}"/>`);
  out.push("</g>");
  out.push(`<g class="x-axis" font-size="12" fill="#333" text-anchor="middle">`);
  for (const t of c.xTicks)
    out.push(`<text x="${px(f.x(t))}" y="${f.bottom + 18}">${formatNumber(t, xStep)}</text>`);
  out.push(
    `<text x="${(f.left + f.right) / 2}" y="${H - 16}" font-size="13">${escapeXml(c.xLabel)}</text>`,
    "</g>",
    `<g class="y-axis" font-size="12" fill="#333" text-anchor="end">`,
  );
  for (const t of c.yTicks) out.push(`<text x="${f.left - 8}" y="${px(f.y(t) + 4)}">${c.yFormat(t)}</text>`);
  const midY = (f.top + f.bottom) / 2;
  out.push(
    `<text x="18" y="${midY}" font-size="13" text-anchor="middle" transform="rotate(-90 18 ${midY})">${escapeXml(c.yLabel)}</text>`,
    "</g>",
    `<rect class="frame" x="${f.left}" y="${f.top}" width="${f.right - f.left}" height="${f.bottom - f.top}" fill="none" stroke="#888"/>`,
  );
  if (c.zeroLabel !== undefined) {
    const x0 = px(f.x(0));
    out.push(
      `<line class="zero" x1="${x0}" y1="${f.top}" x2="${x0}" y2="${f.bottom}" stroke="#555" stroke-width="1.2" stroke-dasharray="4 3"/>`,
      `<text x="${x0}" y="${f.top - 4}" font-size="11" fill="#555" text-anchor="middle">${escapeXml(c.zeroLabel)}</text>`,
    );
  }
  out.push(...c.body(f), "</svg>");
  return `${out.join("\n")}\n`;
}

const colour = (i: number) => COLOURS[i % COLOURS.length] as string;
function dash(i: number): string {
  const d = DASHES[i % DASHES.length];
  return d ? ` stroke-dasharray="${d}"` : "";
}

function finiteSorted(values: readonly number[]): number[] {
  return values.filter(Number.isFinite).sort((a, b) => a - b);
}

/** Empirical CDFs of each series on one axis, p50 (circle) and p95 (diamond) marked on each line. */
export function cdfSvg(o: CdfOptions): string {
  const data = o.series.map((s) => {
    const v = finiteSorted(s.values);
    return { name: s.name, v, p50: quantile(v, 0.5), p95: quantile(v, 0.95) };
  });
  const all = data.flatMap((d) => d.v);
  const lo = all.length ? Math.min(...all, ...(o.zeroLabel !== undefined ? [0] : [])) : 0;
  const hi = all.length ? Math.max(...all, ...(o.zeroLabel !== undefined ? [0] : [])) : 1;
  const x = axis(lo, hi);
  const u = o.unit;
  const detail = (d: (typeof data)[number]) =>
    d.v.length
      ? `p50 ${fmtValue(d.p50)} ${u} · p95 ${fmtValue(d.p95)} ${u} · max ${fmtValue(d.v[d.v.length - 1] ?? null)} ${u} · n = ${d.v.length}`
      : "no values";
  const desc =
    `Empirical cumulative distribution of ${o.xLabel ?? `values in ${u}`}: the share of values at or below each x. ` +
    data.map((d) => `${d.name}: ${detail(d)}.`).join(" ") +
    (o.note ? ` ${o.note}` : "");
  return chart({
    title: o.title,
    desc,
    legend: data.map((d) => ({ name: d.name, detail: detail(d) })),
    xDomain: x.domain,
    xTicks: x.ticks,
    yTicks: [0, 0.25, 0.5, 0.75, 1],
    yFormat: (t) => `${Math.round(t * 100)} %`,
    xLabel: o.xLabel ?? `value (${u})`,
    yLabel: "share of runs at or below x",
    zeroLabel: o.zeroLabel,
    body: (f) => {
      const out = [
        `<line class="p95-guide" x1="${f.left}" y1="${px(f.y(0.95))}" x2="${f.right}" y2="${px(f.y(0.95))}" stroke="#bbb" stroke-dasharray="2 3"/>`,
        `<text x="${f.right + 4}" y="${px(f.y(0.95) + 4)}" font-size="10" fill="#777">95 %</text>`,
      ];
      data.forEach((d, i) => {
        if (!d.v.length) return;
        const n = d.v.length;
        const pts = d.v.map(
          (v, k) => `${k ? "L" : "M"}${px(f.x(v))},${px(f.y(k / n))} L${px(f.x(v))},${px(f.y((k + 1) / n))}`,
        );
        out.push(
          `<path class="series" data-name="${escapeXml(d.name)}" d="${pts.join(" ")}" fill="none" stroke="${colour(i)}" stroke-width="2.2" stroke-linejoin="round"${dash(i)}/>`,
        );
        if (d.p50 !== null)
          out.push(
            `<circle class="p50" cx="${px(f.x(d.p50))}" cy="${px(f.y(0.5))}" r="5" fill="${colour(i)}" stroke="#fff" stroke-width="1.5"><title>${escapeXml(`${d.name} p50 ${fmtValue(d.p50)} ${u}`)}</title></circle>`,
          );
        if (d.p95 !== null) {
          const [cx, cy] = [f.x(d.p95), f.y(0.95)];
          out.push(
            `<path class="p95" d="M${px(cx)},${px(cy - 6)} L${px(cx + 6)},${px(cy)} L${px(cx)},${px(cy + 6)} L${px(cx - 6)},${px(cy)} Z" fill="${colour(i)}" stroke="#fff" stroke-width="1.5"><title>${escapeXml(`${d.name} p95 ${fmtValue(d.p95)} ${u}`)}</title></path>`,
          );
        }
      });
      return out;
    },
  });
}

/** Cumulative count of events (submissions) over time, one step line per series. */
export function timelineSvg(o: TimelineOptions): string {
  const u = o.unit ?? "s";
  const data = o.series.map((s) => ({ name: s.name, t: finiteSorted(s.times) }));
  const all = data.flatMap((d) => d.t);
  const x = axis(Math.min(0, ...all), Math.max(0, ...all));
  const yTicks = niceTicks(0, Math.max(1, ...data.map((d) => d.t.length)), 5).filter((t) => t >= 0);
  const yStep = (yTicks[1] ?? 1) - (yTicks[0] ?? 0) || 1;
  const detail = (d: (typeof data)[number]) =>
    d.t.length
      ? `n = ${d.t.length}, first at ${fmtValue(d.t[0] ?? null)} ${u}, half by ${fmtValue(quantile(d.t, 0.5))} ${u}, last at ${fmtValue(d.t[d.t.length - 1] ?? null)} ${u}`
      : "no events";
  const zeroLabel = o.zeroLabel ?? "scheduled second";
  const desc =
    `Cumulative count over time, x in ${u} from the ${zeroLabel}. ` +
    data.map((d) => `${d.name}: ${detail(d)}.`).join(" ") +
    (o.note ? ` ${o.note}` : "");
  return chart({
    title: o.title,
    desc,
    legend: data.map((d) => ({ name: d.name, detail: detail(d) })),
    xDomain: x.domain,
    xTicks: x.ticks,
    yTicks,
    yFormat: (t) => formatNumber(t, yStep),
    xLabel: o.xLabel ?? `time from the ${zeroLabel} (${u})`,
    yLabel: o.yLabel ?? "submitted so far",
    zeroLabel,
    body: (f) =>
      data.flatMap((d, i) => {
        if (!d.t.length) return [];
        const pts = d.t.map(
          (t, k) => `${k ? "L" : "M"}${px(f.x(t))},${px(f.y(k))} L${px(f.x(t))},${px(f.y(k + 1))}`,
        );
        return [
          `<path class="series" data-name="${escapeXml(d.name)}" d="${pts.join(" ")}" fill="none" stroke="${colour(i)}" stroke-width="2.2" stroke-linejoin="round"${dash(i)}/>`,
        ];
      }),
  });
}
