/**
 * Named errors of the Edgernetes side of the benchmark harness (the shared
 * ones, such as WaitTimeoutError, are in errors.ts).
 */
import { BenchError } from './errors.js';

/** A replica or the whole Edgernetes cluster could not be started, stopped or reached. */
export class EdgernetesClusterError extends BenchError {}

/** A benchmark write or read through EdgernetesClient failed for good (every attempt failed). */
export class EdgernetesRequestError extends BenchError {}

/** Writing the keys a read bench reads failed (the reads would measure misses). */
export class PreloadError extends BenchError {}
