/**
 * Small hand-written SVG charts for bench/results/<name>.svg, so a person can
 * see the curves without tooling: one panel per figure, either lines of the
 * figure against a categorical x (concurrency) per system, or grouped bars.
 * Pure functions from numbers to SVG text; no dependency.
 */
import assert from 'node:assert/strict';

/** One panel: a figure's values per system, one value per x category (null: not measured). */
export interface ChartPanel {
  readonly figure: string;
  readonly series: Readonly<Record<string, readonly (number | null)[]>>;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  /** Category labels along x (e.g. concurrencies "1", "16", "64", "256"), or bar groups. */
  readonly categories: readonly string[];
  readonly panels: readonly ChartPanel[];
}

const PANEL_WIDTH = 360;
const PANEL_HEIGHT = 240;
const MARGIN = { top: 30, right: 16, bottom: 44, left: 64 };
const TITLE_HEIGHT = 28;
const LEGEND_HEIGHT = 22;
const Y_TICK_COUNT = 5;
/** Fixed colours for the compared systems, so every chart reads alike; others take PALETTE in order. */
const SYSTEM_COLOURS: Readonly<Record<string, string>> = { edgernetes: '#1f77b4', etcd: '#d62728' };
const PALETTE = ['#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

function colourOf(system: string, index: number): string {
  return SYSTEM_COLOURS[system] ?? PALETTE[index % PALETTE.length]!;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" upper bound (1, 2 or 5 × 10^k) at or above `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  assert.fail('unreachable: 10 × magnitude >= max');
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${value / 1_000_000}M`;
  if (value >= 1_000) return `${value / 1_000}k`;
  return String(Number(value.toPrecision(3)));
}

function systemsOf(spec: ChartSpec): string[] {
  const names = [...new Set(spec.panels.flatMap((p) => Object.keys(p.series)))];
  return names.sort((a, b) => (a === 'edgernetes' ? -1 : b === 'edgernetes' ? 1 : 0));
}

interface Frame {
  readonly x0: number;
  readonly y0: number;
  readonly plotWidth: number;
  readonly plotHeight: number;
  readonly yMax: number;
}

function axes(panel: ChartPanel, spec: ChartSpec, frame: Frame): string[] {
  const { x0, y0, plotWidth, plotHeight, yMax } = frame;
  const out = [
    `<text x="${x0 + plotWidth / 2}" y="${y0 - 10}" text-anchor="middle" font-weight="bold">` +
      `${escapeXml(panel.figure)}</text>`,
    `<line x1="${x0}" y1="${y0 + plotHeight}" x2="${x0 + plotWidth}" y2="${y0 + plotHeight}" stroke="#333"/>`,
    `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + plotHeight}" stroke="#333"/>`,
    `<text x="${x0 + plotWidth / 2}" y="${y0 + plotHeight + 34}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
  ];
  for (let t = 0; t <= Y_TICK_COUNT; t++) {
    const value = (yMax * t) / Y_TICK_COUNT;
    const y = y0 + plotHeight - (plotHeight * t) / Y_TICK_COUNT;
    out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + plotWidth}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${formatTick(value)}</text>`);
  }
  spec.categories.forEach((label, i) => {
    const x = x0 + ((i + 0.5) * plotWidth) / spec.categories.length;
    out.push(`<text x="${x}" y="${y0 + plotHeight + 16}" text-anchor="middle">${escapeXml(label)}</text>`);
  });
  return out;
}

function frameOf(panel: ChartPanel, index: number): Frame {
  const values = Object.values(panel.series).flatMap((s) => s.filter((v): v is number => v !== null));
  return {
    x0: index * PANEL_WIDTH + MARGIN.left,
    y0: TITLE_HEIGHT + LEGEND_HEIGHT + MARGIN.top,
    plotWidth: PANEL_WIDTH - MARGIN.left - MARGIN.right,
    plotHeight: PANEL_HEIGHT - MARGIN.top - MARGIN.bottom,
    yMax: niceCeiling(Math.max(0, ...values)),
  };
}

function linesOf(panel: ChartPanel, systems: string[], categoryCount: number, f: Frame): string[] {
  const out: string[] = [];
  systems.forEach((system, s) => {
    const colour = colourOf(system, s);
    const points = (panel.series[system] ?? []).flatMap((v, i) =>
      v === null ? [] : [[f.x0 + ((i + 0.5) * f.plotWidth) / categoryCount, f.y0 + f.plotHeight * (1 - v / f.yMax)]],
    );
    if (points.length > 1) {
      const d = points.map(([x, y]) => `${x!.toFixed(1)},${y!.toFixed(1)}`).join(' ');
      out.push(`<polyline points="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const [x, y] of points) {
      out.push(`<circle cx="${x!.toFixed(1)}" cy="${y!.toFixed(1)}" r="3" fill="${colour}"/>`);
    }
  });
  return out;
}

function barsOf(panel: ChartPanel, systems: string[], categoryCount: number, f: Frame): string[] {
  const out: string[] = [];
  const groupWidth = f.plotWidth / categoryCount;
  const barWidth = (groupWidth * 0.8) / systems.length;
  systems.forEach((system, s) => {
    const colour = colourOf(system, s);
    (panel.series[system] ?? []).forEach((v, i) => {
      if (v === null) return;
      const height = f.plotHeight * (v / f.yMax);
      const x = f.x0 + i * groupWidth + groupWidth * 0.1 + s * barWidth;
      const y = f.y0 + f.plotHeight - height;
      const size = `width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}"`;
      out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${size} fill="${colour}"/>`);
    });
  });
  return out;
}

function render(spec: ChartSpec, kind: 'line' | 'bar'): string {
  assert.ok(spec.panels.length > 0 && spec.categories.length > 0, 'a chart has panels and categories');
  for (const p of spec.panels) {
    for (const values of Object.values(p.series)) {
      assert.equal(values.length, spec.categories.length, `${p.figure}: one value per category`);
    }
  }
  const systems = systemsOf(spec);
  const width = PANEL_WIDTH * spec.panels.length;
  const height = TITLE_HEIGHT + LEGEND_HEIGHT + PANEL_HEIGHT;
  const body: string[] = [
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">` +
      `${escapeXml(spec.title)}</text>`,
  ];
  systems.forEach((system, s) => {
    const x = 16 + s * 140;
    body.push(`<rect x="${x}" y="${TITLE_HEIGHT + 4}" width="12" height="12" fill="${colourOf(system, s)}"/>`);
    body.push(`<text x="${x + 18}" y="${TITLE_HEIGHT + 14}">${escapeXml(system)}</text>`);
  });
  spec.panels.forEach((panel, index) => {
    const frame = frameOf(panel, index);
    body.push(...axes(panel, spec, frame));
    const draw = kind === 'line' ? linesOf : barsOf;
    body.push(...draw(panel, systems, spec.categories.length, frame));
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    ...body.map((line) => `  ${line}`),
    '</svg>',
    '',
  ].join('\n');
}

/** Lines: each panel's figure against the categories (e.g. concurrency), one line per system. */
export function lineChartSvg(spec: ChartSpec): string {
  return render(spec, 'line');
}

/** Grouped bars: one group per category, one bar per system. */
export function barChartSvg(spec: ChartSpec): string {
  return render(spec, 'bar');
}
