/**
 * How edgectl fails: exit codes, the errors edgectl itself raises, and the
 * one stderr line each failure becomes.
 *
 * Exit codes (stable, scripts rely on them):
 *   0  success
 *   1  the cluster refused or could not serve the request (the line names the gRPC status)
 *   2  usage error found before anything was sent (bad flag, argument, endpoint or manifest)
 *   3  `kv cas` only: the comparison did not hold, nothing changed (not an error)
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ClientError, ClusterUnavailableError } from '../../client/errors.js';

export const EXIT_OK = 0;
export const EXIT_SERVER = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_SWAPPED = 3;

/** The invocation itself is wrong (found by edgectl before contacting the cluster). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A manifest document is malformed: names the file, the 1-based document index and the field. */
export class ManifestError extends UsageError {
  constructor(
    readonly source: string,
    /** 1-based position of the document in its file (`---` separated). */
    readonly documentIndex: number,
    /** Dotted path of the offending part, e.g. `spec.artifact.sha256`; empty for the whole document. */
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: document ${documentIndex}: ${field === '' ? '' : `${field}: `}${reason}`, options);
  }
}

/** Several resources failed; each was already reported on its own line. */
export class SomeResourcesFailedError extends Error {
  constructor(readonly failedCount: number) {
    super(`${failedCount} resource(s) failed`);
    this.name = 'SomeResourcesFailedError';
  }
}

export function statusName(code: GrpcStatus): string {
  return GrpcStatus[code] ?? `STATUS_${code}`;
}

/**
 * The message of a client error without the "5 NOT_FOUND: " prefix grpc-js puts
 * in front of relayed statuses (a forwarded error can carry it in its details).
 */
export function clientMessage(err: ClientError): string {
  return err.message.replace(/^\d+ [A-Z_]+: /, '');
}

export interface Failure {
  /** One line, without the trailing newline; empty when already reported. */
  readonly line: string;
  readonly exitCode: number;
}

/**
 * The stderr line and exit code for an expected failure, or null for anything
 * else: an unexpected error is a bug and propagates with its stack.
 */
export function describeFailure(err: unknown): Failure | null {
  const failure = classify(err);
  return failure === null ? null : { ...failure, line: oneLine(failure.line) };
}

/** Messages relayed from gRPC may span lines or end in blanks; the contract is one line per failure. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function classify(err: unknown): Failure | null {
  if (err instanceof UsageError) return { line: `edgectl: ${err.message}`, exitCode: EXIT_USAGE };
  // The whole call found no endpoint able to answer: that is UNAVAILABLE whatever the last attempt's code was.
  if (err instanceof ClusterUnavailableError) return { line: `edgectl: UNAVAILABLE: ${err.message}`, exitCode: EXIT_SERVER };
  if (err instanceof ClientError) return { line: `edgectl: ${statusName(err.code)}: ${clientMessage(err)}`, exitCode: EXIT_SERVER };
  if (err instanceof SomeResourcesFailedError) return { line: '', exitCode: EXIT_SERVER };
  return null;
}
