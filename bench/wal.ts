/**
 * WAL group-commit microbenchmark: `npm run bench -- wal [--seconds N] [--inline-sync-ms M]`.
 *
 * For 1, 16 and 64 concurrent proposers (closed loop: each awaits its append
 * before making the next), appends single 256-byte entries with real
 * fdatasync to a fresh WAL in a temp directory, for N seconds each (default 3).
 * Prints a table and, as the last line, one JSON object with the figures; the
 * same object goes to bench/results/wal.json.
 *
 * What it shows: appends per fsync grows with concurrency (group commit), so
 * appends/s grows while fsyncs/s stays near the disk's sync rate.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Wal } from '../src/raft/wal/index.js';
import { EntryType, logIndex, term, type Entry } from '../src/raft/core/types.js';

const CONCURRENCY_LEVELS = [1, 16, 64];
const ENTRY_BYTES = 256;
const WARMUP_APPENDS = 200;
/** Latency histogram: 1 µs buckets up to this bound; slower appends land in the last bucket. */
const LATENCY_BUCKETS_US = 200_000;

interface Result {
  readonly concurrency: number;
  readonly appends: number;
  readonly fsyncs: number;
  readonly seconds: number;
  readonly appends_per_s: number;
  readonly fsyncs_per_s: number;
  readonly appends_per_fsync: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
}

function parseSeconds(args: string[]): number {
  const at = args.indexOf('--seconds');
  if (at < 0) return 3;
  const seconds = Number(args[at + 1]);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new Error(`--seconds must be a number in (0, 600], got ${args[at + 1]}`);
  }
  return seconds;
}

class LatencyHistogram {
  private readonly counts = new Uint32Array(LATENCY_BUCKETS_US + 1);
  private total = 0;

  record(ms: number): void {
    this.counts[Math.min(Math.floor(ms * 1000), LATENCY_BUCKETS_US)]!++;
    this.total++;
  }

  /** Latency in ms at quantile q (0..1), to the microsecond. */
  quantileMs(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let us = 0; us <= LATENCY_BUCKETS_US; us++) {
      seen += this.counts[us]!;
      if (seen >= rank) return us / 1000;
    }
    return LATENCY_BUCKETS_US / 1000;
  }
}

async function runLevel(concurrency: number, seconds: number, data: Uint8Array, inlineSyncMsMax: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'wal-bench-'));
  try {
    const { wal } = await Wal.open(dir, { inlineSyncMsMax });
    let nextIndex = 1;
    const entry = (): Entry => ({ index: logIndex(nextIndex++), term: term(1), type: EntryType.Normal, data });
    for (let k = 0; k < WARMUP_APPENDS; k++) await wal.append([entry()], null);
    const fsyncsBefore = wal.stats().fsyncs;
    const histogram = new LatencyHistogram();
    let appends = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const proposer = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        await wal.append([entry()], null);
        histogram.record(performance.now() - sent);
        appends++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, proposer));
    const elapsed = (performance.now() - start) / 1000;
    const fsyncs = wal.stats().fsyncs - fsyncsBefore;
    await wal.close();
    const round = (x: number, digits: number) => Number(x.toFixed(digits));
    return {
      concurrency,
      appends,
      fsyncs,
      seconds: round(elapsed, 2),
      appends_per_s: Math.round(appends / elapsed),
      fsyncs_per_s: Math.round(fsyncs / elapsed),
      appends_per_fsync: round(appends / Math.max(1, fsyncs), 2),
      p50_ms: round(histogram.quantileMs(0.5), 3),
      p99_ms: round(histogram.quantileMs(0.99), 3),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--inline-sync-ms M`: the WAL's inlineSyncMsMax (default 0: syncs in the thread pool, as the server runs). */
function parseInlineSyncMs(args: string[]): number {
  const at = args.indexOf('--inline-sync-ms');
  if (at < 0) return 0;
  const ms = Number(args[at + 1]);
  if (!Number.isFinite(ms) || ms < 0 || ms > 1000) throw new Error(`--inline-sync-ms must be a number in [0, 1000], got ${args[at + 1]}`);
  return ms;
}

export async function run(args: string[]): Promise<void> {
  const seconds = parseSeconds(args);
  const inlineSyncMsMax = parseInlineSyncMs(args);
  // Other processes on the machine skew sync latency; record how busy it was.
  const loadAverage1m = Number(loadavg()[0]!.toFixed(2));
  const data = new Uint8Array(ENTRY_BYTES).map((_, k) => (k * 37 + 11) & 0xff);
  const results: Result[] = [];
  for (const concurrency of CONCURRENCY_LEVELS) results.push(await runLevel(concurrency, seconds, data, inlineSyncMsMax));
  const table = new Table({
    head: ['proposers', 'appends/s', 'fsyncs/s', 'appends/fsync', 'p50 ms', 'p99 ms', 'appends'],
  });
  for (const r of results) {
    table.push([r.concurrency, r.appends_per_s, r.fsyncs_per_s, r.appends_per_fsync, r.p50_ms, r.p99_ms, r.appends]);
  }
  console.log(
    `WAL append benchmark: ${ENTRY_BYTES}-byte entries, closed loop, real fdatasync in ${tmpdir()}, ` +
      `${seconds} s per level, fdatasync ${inlineSyncMsMax > 0 ? `inline while under ${inlineSyncMsMax} ms` : 'in the thread pool'}, ` +
      `machine load average ${loadAverage1m} at start`,
  );
  console.log(table.toString());
  const summary = {
    bench: 'wal',
    entry_bytes: ENTRY_BYTES,
    seconds_per_level: seconds,
    inline_sync_ms_max: inlineSyncMsMax,
    node: process.version,
    load_average_1m: loadAverage1m,
    results,
  };
  const resultsDir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'wal.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
}
