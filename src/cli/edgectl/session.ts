/**
 * The global options every edgectl command shares (--endpoints, -o, --timeout)
 * and the session a command runs in: one client, created on first use and
 * always closed when the command ends, and the output sink.
 */
import type { Command } from 'commander';
import { EdgernetesClient } from '../../client/client.js';
import { RegistryClient } from '../../client/registry.js';
import { UsageError } from './failure.js';
import { parseOutputFormat, render, type OutputFormat, type Rendered } from './output.js';

export const ENDPOINTS_ENV = 'EDGECTL_ENDPOINTS';
export const DEFAULT_ENDPOINTS = '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
export const DEFAULT_TIMEOUT_MS = 5_000;
/** A single call never waits longer than this, whatever --timeout says. */
const TIMEOUT_MS_MAX = 10 * 60_000;
const ENDPOINTS_MAX = 64;
const HOST_PORT = /^([^\s:]+):(\d{1,5})$/;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };

export interface GlobalOptions {
  readonly endpoints: readonly string[];
  readonly output: OutputFormat;
  /** Bound on each call to the cluster, failover retries included. */
  readonly timeoutMs: number;
}

/** Raw values as commander hands them over (strings, unvalidated). */
interface RawGlobalOptions {
  readonly endpoints?: string;
  readonly output?: string;
  readonly timeout?: string;
}

export function parseEndpoints(text: string, source: string): string[] {
  const endpoints = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (endpoints.length === 0) throw new UsageError(`${source}: at least one HOST:PORT is required`);
  if (endpoints.length > ENDPOINTS_MAX) throw new UsageError(`${source}: at most ${ENDPOINTS_MAX} endpoints are allowed`);
  for (const endpoint of endpoints) {
    const match = HOST_PORT.exec(endpoint);
    if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new UsageError(`${source}: ${JSON.stringify(endpoint)} is not HOST:PORT`);
    }
  }
  return endpoints;
}

export function parseTimeoutMs(text: string): number {
  const match = DURATION.exec(text.trim());
  const timeoutMs = match === null ? NaN : Number(match[1]) * DURATION_UNIT_MS[match[2] ?? 'ms']!;
  if (!(timeoutMs > 0 && timeoutMs <= TIMEOUT_MS_MAX)) {
    throw new UsageError(`--timeout: ${JSON.stringify(text)} is not a duration between 1ms and 10m (e.g. 500ms, 5s, 1m)`);
  }
  return Math.ceil(timeoutMs);
}

export function resolveGlobalOptions(raw: RawGlobalOptions, env: NodeJS.ProcessEnv): GlobalOptions {
  const fromFlag = raw.endpoints !== undefined;
  const fromEnv = !fromFlag && env[ENDPOINTS_ENV] !== undefined && env[ENDPOINTS_ENV] !== '';
  const endpointsText = fromFlag ? raw.endpoints! : fromEnv ? env[ENDPOINTS_ENV]! : DEFAULT_ENDPOINTS;
  return {
    endpoints: parseEndpoints(endpointsText, fromFlag ? '--endpoints' : fromEnv ? ENDPOINTS_ENV : 'default endpoints'),
    output: parseOutputFormat(raw.output ?? 'table'),
    timeoutMs: raw.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeoutMs(raw.timeout),
  };
}

export class Session {
  private clientInstance: EdgernetesClient | null = null;
  private registryInstance: RegistryClient | null = null;

  constructor(
    readonly options: GlobalOptions,
    private readonly stdout: { write(text: string): unknown },
  ) {}

  /** The cluster client (created on first use: commands that fail validation never open a channel). */
  get client(): EdgernetesClient {
    this.clientInstance ??= new EdgernetesClient({ endpoints: this.options.endpoints, callTimeoutMs: this.options.timeoutMs });
    return this.clientInstance;
  }

  /** The client of the Nodes, Models, Deployments and Watch services (created on first use). */
  get registry(): RegistryClient {
    this.registryInstance ??= new RegistryClient({ endpoints: this.options.endpoints, callTimeoutMs: this.options.timeoutMs });
    return this.registryInstance;
  }

  print(rendered: Rendered): void {
    this.stdout.write(render(this.options.output, rendered));
  }

  /** Writes a line as is, whatever the output format (progress of multi-resource commands, watch events). */
  printLine(line: string): void {
    this.stdout.write(`${line}\n`);
  }

  close(): void {
    this.clientInstance?.close();
    this.clientInstance = null;
    this.registryInstance?.close();
    this.registryInstance = null;
  }
}

/** A command body: returns an exit code when it is not EXIT_OK without being an error (kv cas). */
export type CommandBody = (session: Session) => Promise<number | void>;

/** Runs `body` in a session built from the global options of `command`; the session is always closed. */
export async function withSession(command: Command, body: CommandBody): Promise<void> {
  const session = new Session(resolveGlobalOptions(command.optsWithGlobals<RawGlobalOptions>(), process.env), process.stdout);
  try {
    const exitCode = await body(session);
    if (typeof exitCode === 'number') process.exitCode = exitCode;
  } finally {
    session.close();
  }
}
