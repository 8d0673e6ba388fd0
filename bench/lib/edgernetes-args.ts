/**
 * Command-line options shared by the Edgernetes benches (write, read,
 * failover): `--vs etcd`, where the clusters live, where results go, and the
 * checked number parsers. Every value is validated here, once, with an error
 * naming the flag.
 */
import { tmpdir } from 'node:os';
import { SERVER_NODE_FLAGS } from '../../src/server/node-flags.js';

/** The only system a bench can be compared with today. */
export const VS_SYSTEMS = ['etcd'] as const;

export interface CommonOptions {
  /** Run etcd side by side (`--vs etcd`). */
  readonly vsEtcd: boolean;
  /** Where both clusters' data dirs are created (same disk for both). */
  readonly baseDir: string;
  /** Where <bench>.json and .svg go; undefined: bench/results/. */
  readonly resultsDir: string | undefined;
  /** Node flags our replicas start with (`--server-node-flags`); default the product's, SERVER_NODE_FLAGS. */
  readonly serverNodeFlags: readonly string[];
}

/** Options of the load benches (write, read). */
export interface LoadBenchOptions extends CommonOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Unmeasured load each system gets at each measured concurrency before the first measured run (see primeSystems). */
  readonly primeSeconds: number;
  readonly rounds: number;
  readonly concurrencies: readonly number[];
}

export function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`--${flag}: ${text} is not a positive number`);
  return value;
}

export function positiveInteger(flag: string, text: string): number {
  const value = positive(flag, text);
  if (!Number.isInteger(value)) throw new RangeError(`--${flag}: ${text} is not an integer`);
  return value;
}

export function nonNegative(flag: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`--${flag}: ${text} is not a number >= 0`);
  return value;
}

/** A comma-separated list of positive integers, e.g. "1,16,64,256". */
export function positiveIntegers(flag: string, text: string): number[] {
  const values = text.split(',').map((part) => positiveInteger(flag, part.trim()));
  if (new Set(values).size !== values.length) throw new RangeError(`--${flag}: ${text} repeats a value`);
  return values;
}

/** parseArgs definitions of the common options. */
export const COMMON_ARG_OPTIONS = {
  vs: { type: 'string' },
  'base-dir': { type: 'string', default: tmpdir() },
  'results-dir': { type: 'string' },
  'server-node-flags': { type: 'string' },
} as const;

/** parseArgs definitions of the load benches' options (common ones included). */
export const LOAD_ARG_OPTIONS = {
  ...COMMON_ARG_OPTIONS,
  seconds: { type: 'string', default: '3' },
  'warmup-seconds': { type: 'string', default: '1' },
  'prime-seconds': { type: 'string', default: '5' },
  rounds: { type: 'string', default: '3' },
  concurrency: { type: 'string', default: '1,16,64,256' },
} as const;

export function commonOptions(values: {
  vs?: string;
  'base-dir': string;
  'results-dir'?: string;
  'server-node-flags'?: string;
}): CommonOptions {
  if (values.vs !== undefined && !(VS_SYSTEMS as readonly string[]).includes(values.vs)) {
    throw new RangeError(`--vs: ${values.vs} is not one of ${VS_SYSTEMS.join(', ')}`);
  }
  return {
    vsEtcd: values.vs === 'etcd',
    baseDir: values['base-dir'],
    resultsDir: values['results-dir'],
    serverNodeFlags: nodeFlags(values['server-node-flags']),
  };
}

/**
 * `--server-node-flags="--a=1 --b"` (with "=": the value starts with a dash): node options, each
 * starting with "--"; "" for none; absent: the product's.
 */
export function nodeFlags(text: string | undefined): readonly string[] {
  if (text === undefined) return SERVER_NODE_FLAGS;
  const flags = text.split(/\s+/).filter((flag) => flag !== '');
  const bad = flags.find((flag) => !flag.startsWith('--'));
  if (bad !== undefined) throw new RangeError(`--server-node-flags: ${bad} is not a node option (--name[=value])`);
  return flags;
}

export function loadBenchOptions(values: {
  vs?: string;
  'base-dir': string;
  'results-dir'?: string;
  'server-node-flags'?: string;
  seconds: string;
  'warmup-seconds': string;
  'prime-seconds': string;
  rounds: string;
  concurrency: string;
}): LoadBenchOptions {
  const rounds = positiveInteger('rounds', values.rounds);
  if (rounds > 1_000) throw new RangeError(`--rounds: ${rounds} is more than 1000`);
  return {
    ...commonOptions(values),
    seconds: positive('seconds', values.seconds),
    warmupSeconds: nonNegative('warmup-seconds', values['warmup-seconds']),
    primeSeconds: nonNegative('prime-seconds', values['prime-seconds']),
    rounds,
    concurrencies: positiveIntegers('concurrency', values.concurrency),
  };
}
