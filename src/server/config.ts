/**
 * Configuration of one control-plane replica (`edgernetes server`), from flags
 * with EDGERNETES_* environment fallbacks. Validated once, here; every error
 * names the flag (and its environment variable) that was wrong.
 */

export interface PeerAddress {
  readonly id: string;
  readonly address: string;
}

export interface ServerConfig {
  readonly id: string;
  readonly dataDir: string;
  /** HOST:PORT serving both the public API and the peer transport. */
  readonly listen: string;
  /** Initial voters (including this replica) when bootstrapping a new cluster. */
  readonly peers: readonly PeerAddress[];
  /** HOST:PORT of a running replica to join through (as a learner, promoted when caught up). */
  readonly join: string | null;
  /** Address other replicas and clients use to reach this one (defaults to `listen`). */
  readonly advertise: string;
  readonly tickIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Take a state-machine snapshot and compact the log every this many applied entries. */
  readonly snapshotEntries: number;
  /**
   * How long applied writes gather before the state machine writes them to
   * LevelDB as one batch (src/fsm/write-behind.ts): what live watchers wait at most for an event.
   */
  readonly storeDelayMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ServerConfigError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag} (${envName(flag)}): ${message}`);
    this.name = 'ServerConfigError';
  }
}

export function envName(flag: string): string {
  return 'EDGERNETES_' + flag.toUpperCase().replace(/-/g, '_');
}

export type RawServerOptions = Partial<Record<ServerFlag, string | undefined>>;

export const SERVER_FLAGS = [
  'id',
  'data-dir',
  'listen',
  'peers',
  'join',
  'advertise',
  'tick-interval-ms',
  'heartbeat-interval-ms',
  'election-timeout-ms',
  'snapshot-entries',
  'store-delay-ms',
  'log-level',
] as const;
export type ServerFlag = (typeof SERVER_FLAGS)[number];

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const MEMBER_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Merge flags over environment variables, then validate. */
export function parseServerConfig(flags: RawServerOptions, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const get = (flag: ServerFlag): string | undefined => flags[flag] ?? env[envName(flag)];
  const id = required(get, 'id');
  if (!MEMBER_ID.test(id)) throw new ServerConfigError('id', `${JSON.stringify(id)} must be 1-63 lowercase letters, digits or '-'`);
  const listen = hostPort('listen', required(get, 'listen'));
  const join = get('join') ?? null;
  if (join !== null) hostPort('join', join);
  const peers = parsePeers(get('peers') ?? '');
  if (join === null && peers.length === 0) {
    throw new ServerConfigError('peers', 'required unless --join is given (e.g. n1=127.0.0.1:7001,n2=...,n3=...)');
  }
  if (join === null && !peers.some((p) => p.id === id)) {
    throw new ServerConfigError('peers', `must include this replica's own id ${JSON.stringify(id)}`);
  }
  const tickIntervalMs = positiveInt(get, 'tick-interval-ms', 100);
  const heartbeatIntervalMs = positiveInt(get, 'heartbeat-interval-ms', 100);
  const electionTimeoutMs = positiveInt(get, 'election-timeout-ms', 1000);
  if (heartbeatIntervalMs % tickIntervalMs !== 0) {
    throw new ServerConfigError('heartbeat-interval-ms', `${heartbeatIntervalMs} must be a multiple of --tick-interval-ms (${tickIntervalMs})`);
  }
  if (electionTimeoutMs % tickIntervalMs !== 0 || electionTimeoutMs <= heartbeatIntervalMs) {
    throw new ServerConfigError(
      'election-timeout-ms',
      `${electionTimeoutMs} must be a multiple of --tick-interval-ms (${tickIntervalMs}) and greater than --heartbeat-interval-ms (${heartbeatIntervalMs})`,
    );
  }
  const logLevel = get('log-level') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ServerConfigError('log-level', `${JSON.stringify(logLevel)} is not one of debug, info, warn, error`);
  }
  return {
    id,
    dataDir: required(get, 'data-dir'),
    listen,
    peers,
    join,
    advertise: hostPort('advertise', get('advertise') ?? listen),
    tickIntervalMs,
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotEntries: positiveInt(get, 'snapshot-entries', 10_000),
    storeDelayMs: intInRange(get, 'store-delay-ms', 5, 0, STORE_DELAY_MS_MAX),
    logLevel: logLevel as ServerConfig['logLevel'],
  };
}

function required(get: (f: ServerFlag) => string | undefined, flag: ServerFlag): string {
  const value = get(flag);
  if (value === undefined || value.trim() === '') throw new ServerConfigError(flag, 'is required');
  return value.trim();
}

function hostPort(flag: ServerFlag, value: string): string {
  const m = HOST_PORT.exec(value);
  if (m === null || Number(m[2]) > 65535) throw new ServerConfigError(flag, `${JSON.stringify(value)} is not HOST:PORT`);
  return value;
}

/** The state machine's bound (src/fsm/config.ts). */
const STORE_DELAY_MS_MAX = 1000;

function intInRange(get: (f: ServerFlag) => string | undefined, flag: ServerFlag, fallback: number, min: number, max: number): number {
  const raw = get(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new ServerConfigError(flag, `${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
  }
  return n;
}

function positiveInt(get: (f: ServerFlag) => string | undefined, flag: ServerFlag, fallback: number): number {
  const raw = get(flag);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ServerConfigError(flag, `${JSON.stringify(raw)} is not a positive integer`);
  return n;
}

function parsePeers(raw: string): PeerAddress[] {
  if (raw.trim() === '') return [];
  const seen = new Set<string>();
  return raw.split(',').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ServerConfigError('peers', `${JSON.stringify(part)} is not ID=HOST:PORT`);
    const id = part.slice(0, eq).trim();
    const address = part.slice(eq + 1).trim();
    if (!MEMBER_ID.test(id)) throw new ServerConfigError('peers', `member id ${JSON.stringify(id)} must be lowercase letters, digits or '-'`);
    if (seen.has(id)) throw new ServerConfigError('peers', `member id ${JSON.stringify(id)} appears twice`);
    seen.add(id);
    hostPort('peers', address);
    return { id, address };
  });
}
