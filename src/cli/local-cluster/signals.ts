/**
 * Stop requests from the terminal or a process manager: the first SIGINT,
 * SIGTERM or SIGHUP asks for a clean stop; any later one asks to hurry (the
 * user pressed Ctrl-C again). Handlers are removed by dispose(), after which
 * the signals have their default effect again.
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class StopSignals {
  /** Resolves with the first stop signal. */
  readonly requested: Promise<NodeJS.Signals>;
  private received = 0;
  private readonly repeatListeners: ((signal: NodeJS.Signals) => void)[] = [];
  private readonly handler: (signal: NodeJS.Signals) => void;

  constructor() {
    let resolveRequested!: (signal: NodeJS.Signals) => void;
    this.requested = new Promise((resolve) => (resolveRequested = resolve));
    this.handler = (signal) => {
      this.received += 1;
      if (this.received === 1) resolveRequested(signal);
      else for (const listener of this.repeatListeners) listener(signal);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, this.handler);
  }

  get stopRequested(): boolean {
    return this.received > 0;
  }

  onRepeat(listener: (signal: NodeJS.Signals) => void): void {
    this.repeatListeners.push(listener);
  }

  dispose(): void {
    for (const signal of STOP_SIGNALS) process.off(signal, this.handler);
  }
}
