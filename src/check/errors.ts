/** Expected failures of the checker, as named errors. Bugs are assertion failures instead. */

/** The history is not a well-formed Jepsen-style history; names the file and line. */
export class HistoryParseError extends Error {
  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${fileName}:${line}: ${reason}`, options);
    this.name = 'HistoryParseError';
  }
}

/** The caller asked for something the checker does not support (e.g. an unknown model). */
export class CheckOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid check option ${field}: ${message}`);
    this.name = 'CheckOptionsError';
  }
}

/** Thrown by assert(): an invariant does not hold. A bug; never caught. */
export class CheckAssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'CheckAssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckAssertionError(message);
}
