// Goal: the benches' shared option parsing accepts what the usage lines promise and rejects
// anything else with an error naming the flag; the CPU-time reader charges a process with the
// CPU it burns.
// Method: parse option sets directly (no cluster); burn CPU in this process and read /proc.
import { describe, expect, it } from 'vitest';
import { loadBenchOptions, positiveIntegers } from '../../bench/lib/edgernetes-args.js';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';
import { processCpuMs, ProcessCpuError, totalCpuMs } from '../../bench/lib/edgernetes-cpu.js';

const DEFAULTS = {
  'base-dir': '/tmp',
  seconds: '3',
  'warmup-seconds': '1',
  'prime-seconds': '5',
  rounds: '3',
  concurrency: '1,16,64,256',
};

describe('load bench options', () => {
  it('parses the defaults and --vs etcd', () => {
    expect(loadBenchOptions(DEFAULTS)).toEqual({
      vsEtcd: false,
      baseDir: '/tmp',
      resultsDir: undefined,
      serverNodeFlags: SERVER_NODE_FLAGS,
      seconds: 3,
      warmupSeconds: 1,
      primeSeconds: 5,
      rounds: 3,
      concurrencies: [1, 16, 64, 256],
    });
    expect(loadBenchOptions({ ...DEFAULTS, vs: 'etcd', seconds: '0.5', 'warmup-seconds': '0' })).toMatchObject({
      vsEtcd: true,
      seconds: 0.5,
      warmupSeconds: 0,
    });
  });

  it('--server-node-flags replaces the product flags our replicas start with; "" starts them with none', () => {
    expect(loadBenchOptions({ ...DEFAULTS, 'server-node-flags': ' --max-semi-space-size=16  --jitless ' }).serverNodeFlags).toEqual([
      '--max-semi-space-size=16',
      '--jitless',
    ]);
    expect(loadBenchOptions({ ...DEFAULTS, 'server-node-flags': '' }).serverNodeFlags).toEqual([]);
  });

  it('rejects bad values, naming the flag', () => {
    expect(() => loadBenchOptions({ ...DEFAULTS, vs: 'zookeeper' })).toThrow(/--vs: zookeeper/);
    expect(() => loadBenchOptions({ ...DEFAULTS, 'server-node-flags': '--a=1 b' })).toThrow(/--server-node-flags: b is not/);
    expect(() => loadBenchOptions({ ...DEFAULTS, seconds: '0' })).toThrow(/--seconds/);
    expect(() => loadBenchOptions({ ...DEFAULTS, 'warmup-seconds': '-1' })).toThrow(/--warmup-seconds/);
    expect(() => loadBenchOptions({ ...DEFAULTS, 'prime-seconds': 'soon' })).toThrow(/--prime-seconds: soon/);
    expect(() => loadBenchOptions({ ...DEFAULTS, rounds: '1.5' })).toThrow(/--rounds: 1.5 is not an integer/);
    expect(() => loadBenchOptions({ ...DEFAULTS, rounds: '1001' })).toThrow(/--rounds/);
    expect(() => loadBenchOptions({ ...DEFAULTS, concurrency: '1,x' })).toThrow(/--concurrency: x/);
  });

  it('reads comma-separated lists without repeats', () => {
    expect(positiveIntegers('concurrency', '1, 16,64')).toEqual([1, 16, 64]);
    expect(() => positiveIntegers('concurrency', '1,1')).toThrow(/repeats/);
  });
});

describe('process CPU time', () => {
  it('grows by the CPU this process burns', () => {
    const beforeMs = processCpuMs(process.pid);
    const untilMs = performance.now() + 150;
    let spins = 0;
    while (performance.now() < untilMs) spins++;
    expect(spins).toBeGreaterThan(0);
    // At least most of the 150 ms spun (10 ms ticks; some of it may go to other processes).
    expect(processCpuMs(process.pid) - beforeMs).toBeGreaterThan(50);
    expect(totalCpuMs([process.pid, process.pid])).toBeGreaterThanOrEqual(2 * beforeMs);
  });

  it('fails with a named error for a process that does not exist', () => {
    expect(() => processCpuMs(2 ** 22 + 1)).toThrow(ProcessCpuError);
  });
});
