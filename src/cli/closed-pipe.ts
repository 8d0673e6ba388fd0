/**
 * A command whose output goes into a pipe that stops reading early
 * (`edgectl kv range app | head -3`, `edgernetes server --help | head`) gets
 * EPIPE on its next write to stdout. Command-line tools end quietly then (the
 * reader has what it wanted), with the exit code they would have had; Node
 * instead dies with an unhandled 'error' event and a stack trace.
 * `edgernetes server` and `up` opt out (keepClosedPipeFatal): their stdout is
 * a log, and losing it is a failure worth seeing.
 */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit();
}

/** From now on, a closed stdout ends the process quietly (exit code as set so far, 0 if none). */
export function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', onStdoutError);
}

/** Undoes endQuietlyOnClosedPipe(): a closed stdout is an error again. */
export function keepClosedPipeFatal(): void {
  process.stdout.off('error', onStdoutError);
}
