// Goal: every bench's output has issue 4's shape — figures named with their unit
// last, ratios `ratio_<figure>` = Edgernetes / etcd, the JSON object as the very
// last stdout line, and results + chart files under the results dir.
// Method: build entries from fixed figures and from a real (fake-op) load result;
// parse what is printed and written; check the SVG's structure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLoad } from '../../bench/lib/loadgen.js';
import {
  assertFigureName,
  comparisonEntry,
  comparisonTable,
  finishBench,
  loadFigures,
  resultLine,
} from '../../bench/lib/report.js';
import { barChartSvg, lineChartSvg, niceCeiling } from '../../bench/lib/svg-chart.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('report', () => {
  it('builds a comparison entry with rounded figures and ratios Edgernetes / etcd', () => {
    const entry = comparisonEntry(
      { concurrency: 64 },
      {
        edgernetes: { writes_per_s: 7_500.123, p50_ms: 4, p99_ms: 20, errors_count: 0 },
        etcd: { writes_per_s: 5_000, p50_ms: 8, p99_ms: 0, errors_count: 2 },
      },
    );
    expect(entry).toEqual({
      concurrency: 64,
      edgernetes: { writes_per_s: 7_500, p50_ms: 4, p99_ms: 20, errors_count: 0 },
      etcd: { writes_per_s: 5_000, p50_ms: 8, p99_ms: 0, errors_count: 2 },
      ratio_writes_per_s: 1.5,
      ratio_p50_ms: 0.5,
      ratio_p99_ms: null,
    });
    expect(Object.keys(entry)[0]).toBe('concurrency');
  });

  it('gives no ratios when only one system was measured', () => {
    const entry = comparisonEntry({ concurrency: 1 }, { etcd: { writes_per_s: 800 } });
    expect(Object.keys(entry).filter((k) => k.startsWith('ratio_'))).toEqual([]);
  });

  it('insists that figure names end with their unit', () => {
    expect(() => assertFigureName('writes_per_s')).not.toThrow();
    expect(() => assertFigureName('median_ms')).not.toThrow();
    expect(() => assertFigureName('writes')).toThrow(/unit/);
    expect(() => comparisonEntry({ concurrency: 1 }, { etcd: { p99: 1 } })).toThrow(/unit/);
  });

  it('names load figures after the operation', async () => {
    const result = await runLoad(async () => undefined, { concurrency: 2, opCount: 100 });
    const figures = loadFigures(result, 'writes');
    expect(Object.keys(figures).sort()).toEqual(
      ['errors_count', 'max_ms', 'p50_ms', 'p90_ms', 'p99_ms', 'writes_per_s'].sort(),
    );
    expect(figures.errors_count).toBe(0);
  });

  it('prints a table row per system and a ratio row', () => {
    const entry = comparisonEntry({ concurrency: 16 }, { edgernetes: { writes_per_s: 10 }, etcd: { writes_per_s: 5 } });
    const table = comparisonTable('write', 'concurrency', [entry]);
    expect(table).toMatch(/^write\n/);
    expect(table).toMatch(/edgernetes\/etcd.*2/);
    expect(table.split('\n').filter((l) => l.includes('│ 16')).length).toBe(3);
  });

  it('ends with the JSON line, after writing <name>.json and <name>.svg', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edg-report-test-'));
    dirs.push(dir);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const result = { rounds: 10, edgernetes: { median_ms: 300 }, etcd: { median_ms: 1_500 }, ratio_median_ms: 0.2 };
    finishBench({ bench: 'failover', result, svg: '<svg/>', resultsDir: dir });
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(last).toEqual({ bench: 'failover', ...result });
    expect(Object.keys(last)[0]).toBe('bench');
    expect(JSON.parse(readFileSync(join(dir, 'failover.json'), 'utf8'))).toEqual(last);
    expect(readFileSync(join(dir, 'failover.svg'), 'utf8')).toBe('<svg/>');
    expect(resultLine('failover', result)).toBe(lines.at(-1));
  });
});

describe('svg charts', () => {
  const spec = {
    title: 'write <A&B>',
    xLabel: 'concurrency',
    categories: ['1', '16', '64', '256'],
    panels: [
      { figure: 'writes_per_s', series: { etcd: [800, 3_000, 5_000, 5_500], edgernetes: [900, 4_000, 8_000, null] } },
      { figure: 'p99_ms', series: { etcd: [2, 10, 40, 120], edgernetes: [1, 5, 20, null] } },
    ],
  };

  it('draws one line per system per panel, skipping missing points, with escaped text', () => {
    const svg = lineChartSvg(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg.match(/<circle /g)).toHaveLength(4 + 3 + 4 + 3);
    expect(svg).toContain('write &#60;A&#38;B&#62;');
    expect(svg).not.toContain('<A&B>');
    // Edgernetes keeps its colour whatever the series order.
    expect(svg).toMatch(/fill="#1f77b4"\/>\s*<text[^>]*>edgernetes</);
  });

  it('draws grouped bars and rejects series of the wrong length', () => {
    const svg = barChartSvg({
      title: 'failover',
      xLabel: '',
      categories: ['median_ms', 'max_ms'],
      panels: [{ figure: 'failover_ms', series: { edgernetes: [300, 500], etcd: [1_500, 2_600] } }],
    });
    expect(svg.match(/<rect /g)!.length).toBe(1 + 2 + 4); // background, legend, bars
    expect(() => lineChartSvg({ ...spec, categories: ['1'] })).toThrow(/one value per category/);
  });

  it('picks nice axis ceilings', () => {
    expect(niceCeiling(4_321)).toBe(5_000);
    expect(niceCeiling(180)).toBe(200);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(0)).toBe(1);
  });
});
