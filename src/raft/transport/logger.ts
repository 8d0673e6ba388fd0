/**
 * The logger the transport writes to: the subset of pino it uses, so the
 * driver passes its pino instance (child with node id) and tests a capture.
 *
 * Inbound rejections and drops can come in floods; RateLimitedLog writes at
 * most one line per key per interval and reports how many it suppressed.
 */
import { pino } from 'pino';

export interface TransportLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function defaultTransportLogger(): TransportLogger {
  return pino({ name: 'raft-transport', level: 'warn' });
}

/** Bound on distinct keys remembered; beyond it the table restarts (lines may then repeat sooner). */
const KEYS_MAX = 4096;

export class RateLimitedLog {
  private readonly lastByKey = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly logger: TransportLogger,
    private readonly intervalMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    const now = this.nowMs();
    const last = this.lastByKey.get(key);
    if (last !== undefined && now - last.atMs < this.intervalMs) {
      last.suppressed++;
      return;
    }
    if (this.lastByKey.size >= KEYS_MAX) this.lastByKey.clear();
    this.lastByKey.set(key, { atMs: now, suppressed: 0 });
    this.logger.warn({ ...obj, suppressedSinceLast: last?.suppressed ?? 0 }, msg);
  }
}
