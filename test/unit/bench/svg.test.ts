import { describe, expect, it } from "vitest";
import type { AwsCall } from "../../../bench/awsProxy.ts";
import { latenessSvg as awsLatenessSvg, type Instant, sideResult } from "../../../bench/awsReport.ts";
import { latenessSvg as localLatenessSvg, type RunRecord } from "../../../bench/report.ts";
import { fmt } from "../../../bench/stats.ts";
import { axis, cdfSvg, formatNumber, niceTicks, timelineSvg } from "../../../bench/svg.ts";

interface Element {
  name: string;
  attrs: Record<string, string>;
  /** Text directly inside the element, entities left as written. */
  text: string;
}

/**
 * A strict little XML reader: balanced tags, quoted unique attributes, no bare `<` or `&` in text or
 * attribute values, one root element. Throws on anything else; returns the elements in document order.
 */
function parseXml(xml: string): Element[] {
  const tag = /<!--[\s\S]*?-->|<\?xml[^>]*\?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>/y;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const out: Element[] = [];
  const stack: Element[] = [];
  let roots = 0;
  let i = 0;
  while (i < xml.length) {
    const c = xml[i];
    if (c === "<") {
      tag.lastIndex = i;
      const m = tag.exec(xml);
      if (!m) throw new Error(`malformed markup at ${i}: ${xml.slice(i, i + 40)}`);
      i = tag.lastIndex;
      const [, close, name, attrText, selfClose] = m;
      if (!name) continue; // comment or declaration
      if (close) {
        const open = stack.pop();
        if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? "nothing"}>`);
        continue;
      }
      if (stack.length === 0 && roots++ > 0) throw new Error("more than one root element");
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? "").matchAll(/([\w.:-]+)="([^"]*)"/g)) {
        const [, key = "", value = ""] = a;
        if (key in attrs) throw new Error(`attribute ${key} twice on <${name}>`);
        checkEntities(value);
        attrs[key] = value;
      }
      const el: Element = { name, attrs, text: "" };
      out.push(el);
      if (!selfClose) stack.push(el);
    } else if (c === "&") {
      entity.lastIndex = i;
      if (!entity.exec(xml)) throw new Error(`bare & at ${i}`);
      if (stack.length) (stack[stack.length - 1] as Element).text += xml.slice(i, entity.lastIndex);
      i = entity.lastIndex;
    } else {
      if (stack.length) (stack[stack.length - 1] as Element).text += c;
      else if (!/\s/.test(c ?? "")) throw new Error(`text outside the root at ${i}`);
      i++;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (roots !== 1) throw new Error("no root element");
  return out;
}

function checkEntities(value: string) {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(value))
    throw new Error(`bare & in "${value}"`);
}

const byClass = (els: Element[], cls: string) => els.filter((e) => e.attrs.class === cls);
const num = (s: string) => Number(s.replace("−", "-"));

/** The (x, y) points of a path made of M/L/Z commands with absolute coordinates. */
function points(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Tick labels of an axis group: value and the pixel coordinate they stand at. */
function ticks(els: Element[], axis: "x-axis" | "y-axis"): { value: number; at: number }[] {
  const start = els.findIndex((e) => e.attrs.class === axis);
  const group: { value: number; at: number }[] = [];
  for (const e of els.slice(start + 1)) {
    if (e.name !== "text") break;
    if (!/^[−\d.]+( %)?$/.test(e.text)) continue;
    group.push({
      value: num(e.text.replace(" %", "")),
      at: Number(axis === "x-axis" ? e.attrs.x : e.attrs.y),
    });
  }
  return group;
}

/** The x values at the frame's left and right edges, read from the tick labels' positions. */
function xDomain(els: Element[]): [number, number] {
  const t = ticks(els, "x-axis");
  const [a, b] = [t[0], t[t.length - 1]];
  const frame = byClass(els, "frame")[0];
  if (!a || !b || !frame || a === b) throw new Error("no frame or fewer than two x ticks");
  const perPx = (b.value - a.value) / (b.at - a.at);
  const left = Number(frame.attrs.x);
  const right = left + Number(frame.attrs.width);
  return [a.value - (a.at - left) * perPx, a.value + (right - a.at) * perPx];
}

describe("the strict XML reader used below", () => {
  it.each([
    ["crossed tags", "<a><b></a></b>"],
    ["a bare ampersand", "<a>fish & chips</a>"],
    ["a bare less-than", "<a>1 < 2</a>"],
    ["an unclosed element", "<a><b/>"],
    ["two roots", "<a/><b/>"],
    ["an unquoted attribute", "<a x=1/>"],
  ])("rejects %s", (_, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
  it("accepts entities and self-closing tags", () => {
    expect(parseXml('<a k="&lt;"><b/>x &amp; y</a>').map((e) => e.name)).toEqual(["a", "b"]);
  });
});

describe("cdfSvg", () => {
  const pushpool = [-2.8, -1.5, -0.4, -0.07, 0.26, 0.1, -3.1];
  const worker = [12.7, 24.9, 43.05, 3.2, 10.8];
  const svg = cdfSvg({
    title: 'Lateness <p95> & "friends"',
    unit: "s",
    zeroLabel: "on time",
    series: [
      { name: "pushpool <fast> & early", values: pushpool },
      { name: "worker", values: worker },
    ],
  });
  const els = parseXml(svg);

  it("is one well-formed, self-contained SVG element with a viewBox, a title and a description", () => {
    expect(els[0]?.name).toBe("svg");
    expect(els[0]?.attrs.viewBox).toMatch(/^0 0 \d+ \d+$/);
    expect(els[0]?.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(els[1]?.name).toBe("title");
    expect(els[2]?.name).toBe("desc");
    expect(els[2]?.text).toContain("pushpool &lt;fast&gt; &amp; early: p50");
    expect(svg).not.toMatch(/<script|href=|@import|url\(/i);
    expect(svg).not.toContain("NaN");
  });

  it("escapes <, & and quotes in the title and the series names", () => {
    expect(els[1]?.text).toBe("Lateness &lt;p95&gt; &amp; &quot;friends&quot;");
    expect(byClass(els, "series")[0]?.attrs["data-name"]).toBe("pushpool &lt;fast&gt; &amp; early");
    expect(svg).not.toContain("<fast>");
  });

  it("draws one step line per series, each rising monotonically from 0 % to 100 %", () => {
    const paths = byClass(els, "series");
    expect(paths).toHaveLength(2);
    const yTicks = ticks(els, "y-axis");
    const y0 = yTicks.find((t) => t.value === 0)?.at as number;
    const y100 = yTicks.find((t) => t.value === 100)?.at as number;
    paths.forEach((p, i) => {
      const pts = points(p.attrs.d ?? "");
      expect(pts).toHaveLength(2 * [pushpool, worker][i]!.length);
      for (let k = 1; k < pts.length; k++) {
        expect(pts[k]![0]).toBeGreaterThanOrEqual(pts[k - 1]![0]); // x never goes back
        expect(pts[k]![1]).toBeLessThanOrEqual(pts[k - 1]![1]); // y (screen, downwards) never falls
      }
      // Tick labels sit 4 px below their line's y.
      expect(pts[0]![1]).toBeCloseTo(y0 - 4, 0);
      expect(pts[pts.length - 1]![1]).toBeCloseTo(y100 - 4, 0);
    });
  });

  it("has an x axis that covers the smallest (negative) and the largest value", () => {
    const [lo, hi] = xDomain(els);
    expect(lo).toBeLessThan(-3.1);
    expect(hi).toBeGreaterThan(43.05);
    expect(ticks(els, "x-axis").map((t) => t.value)).toContain(0);
    const frame = byClass(els, "frame")[0]!;
    const [left, right] = [Number(frame.attrs.x), Number(frame.attrs.x) + Number(frame.attrs.width)];
    for (const p of byClass(els, "series"))
      for (const [x] of points(p.attrs.d ?? "")) {
        expect(x).toBeGreaterThanOrEqual(left);
        expect(x).toBeLessThanOrEqual(right);
      }
  });

  it("marks p50 and p95 of each series and states them in the legend", () => {
    expect(byClass(els, "p50")).toHaveLength(2);
    expect(byClass(els, "p95")).toHaveLength(2);
    const legend = els.filter((e) => e.name === "text").map((e) => e.text);
    // worker sorted: 3.2 10.8 12.7 24.9 43.05 → p50 12.7, p95 = 24.9 + 0.8 × 18.15 = 39.42
    expect(legend.some((t) => t.includes("p50 12.70 s · p95 39.42 s"))).toBe(true);
  });

  it("stays well-formed with one repeated value, an empty series and non-finite values", () => {
    const odd = cdfSvg({
      title: "odd",
      unit: "ms",
      series: [
        { name: "same", values: [5, 5, 5] },
        { name: "none", values: [] },
        { name: "junk", values: [Number.NaN, Number.POSITIVE_INFINITY, 1] },
      ],
    });
    const e = parseXml(odd);
    expect(byClass(e, "series")).toHaveLength(2);
    expect(odd).not.toMatch(/NaN|Infinity/);
    const [lo, hi] = xDomain(e);
    expect(lo).toBeLessThan(1);
    expect(hi).toBeGreaterThan(5);
  });
});

describe("timelineSvg", () => {
  const early = Array.from({ length: 1000 }, (_, k) => -20 + k * 0.015);
  const late = [0.5, 3, 3, 40];
  const svg = timelineSvg({
    title: "1,000 runs due at one second",
    series: [
      { name: "pushpool", times: early },
      { name: "worker & co", times: late },
    ],
  });
  const els = parseXml(svg);

  it("counts submissions cumulatively, one monotone step line per series, on axes that cover them", () => {
    const paths = byClass(els, "series");
    expect(paths).toHaveLength(2);
    expect(points(paths[0]?.attrs.d ?? "")).toHaveLength(2000);
    for (const p of paths) {
      const pts = points(p.attrs.d ?? "");
      for (let k = 1; k < pts.length; k++) expect(pts[k]![1]).toBeLessThanOrEqual(pts[k - 1]![1]);
    }
    const [lo, hi] = xDomain(els);
    expect(lo).toBeLessThan(-20);
    expect(hi).toBeGreaterThan(40);
    expect(Math.max(...ticks(els, "y-axis").map((t) => t.value))).toBeGreaterThanOrEqual(1000);
    expect(byClass(els, "zero")).toHaveLength(1);
    expect(svg).toContain("worker &amp; co");
  });
});

describe("niceTicks and axis", () => {
  it.each([
    [-3.1, 43.05],
    [0.3, 0.3],
    [-5, -1],
    [0, 1000],
    [-0.07, 0.26],
  ])("covers [%d, %d] with evenly spaced round ticks", (lo, hi) => {
    const t = niceTicks(lo, hi);
    expect(t[0]).toBeLessThanOrEqual(lo);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
    expect(t.length).toBeGreaterThanOrEqual(3);
    expect(t.length).toBeLessThanOrEqual(13);
    const step = (t[1] as number) - (t[0] as number);
    for (let k = 1; k < t.length; k++) expect((t[k] as number) - (t[k - 1] as number)).toBeCloseTo(step, 9);
    const { domain, ticks: inside } = axis(lo, hi);
    expect(domain[0]).toBeLessThan(lo);
    expect(domain[1]).toBeGreaterThan(hi);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    for (const v of inside) expect(v >= domain[0] && v <= domain[1]).toBe(true);
  });
});

describe("the benches' lateness charts", () => {
  it("local: both sides' start lateness, runs without one left out", () => {
    const run = (side: "pushpool" | "worker", latenessS: number | null) => ({ side, latenessS }) as RunRecord;
    const svg = localLatenessSvg(
      [run("pushpool", -0.5), run("pushpool", null), run("worker", 4), run("worker", 9)],
      new Date("2026-12-06T21:00:00Z"),
    );
    const els = parseXml(svg);
    expect(byClass(els, "series").map((p) => points(p.attrs.d ?? "").length)).toEqual([2, 4]);
  });

  it("aws: the same submission lateness as the report's table", () => {
    const open = Date.parse("2026-12-06T21:00:00Z");
    const instants: Instant[] = [
      { side: "pushpool", index: 0, scheduled: open + 45_000, open, runIds: ["a", "b", "c"] },
      { side: "worker", index: 0, scheduled: open + 40_000, open: open + 30_000, runIds: ["d", "e"] },
    ];
    const call = (flowRunId: string, at: number): AwsCall => ({
      op: "RunTask",
      at,
      end: at + 5,
      status: 200,
      flowRunId,
    });
    const calls = {
      pushpool: [call("a", open - 2800), call("b", open - 700), call("b", open + 900), call("c", open + 260)],
      worker: [call("d", open + 42_000), call("e", open + 55_000)],
    };
    const svg = awsLatenessSvg(instants, calls, new Date(open));
    const pp = sideResult({
      side: "pushpool",
      leadSeconds: 45,
      instants: instants.filter((i) => i.side === "pushpool"),
      calls: calls.pushpool,
      cpuIn: () => null,
      period: { from: open, to: open },
      registeredRevisions: [],
      distinctSpecs: 1,
      cpuNote: "",
    });
    const p50 = fmt(pp.lateness.p50).replace("-", "−");
    expect(p50).toBe("−0.70");
    expect(svg).toContain(`p50 ${p50} s · p95 ${fmt(pp.lateness.p95)} s`);
    expect(byClass(parseXml(svg), "series").map((p) => points(p.attrs.d ?? "").length)).toEqual([6, 4]);
  });
});

describe("formatNumber", () => {
  it.each([
    [-2.5, 2.5, "−2.5"],
    [0.25, 0.25, "0.25"],
    [40, 20, "40"],
    [-1e-15, 0.5, "0.0"],
    [1000, 200, "1000"],
  ])("writes %d (step %d) as %s", (v, step, text) => {
    expect(formatNumber(v, step)).toBe(text);
  });
});
