/**
 * Network isolation of local processes on 127.0.0.1 without netem: a real
 * partition in which connections are not broken, only silent (packets are
 * dropped, so TCP retransmits and no RST is ever seen), the way a network
 * partition looks to Raft members and clients.
 *
 * Method (nftables, in an `inet` table of our own, on the output hook that
 * every loopback packet passes once):
 * - each isolatable process runs under its own uid; a rule marks every
 *   connection it opens with that uid (`ct mark`), at the connection's start;
 * - isolating a process drops every packet of a connection it opened (by the
 *   mark) and every packet to or from its listening ports, both directions;
 * - healing removes those drop rules; the marks stay, so isolation can repeat.
 * Needs root (CAP_NET_ADMIN) and the `nftables` package (installed if missing).
 * The table is removed by destroy(), or at process exit by the cleanup hooks.
 */
import { execFileSync, spawn } from 'node:child_process';
import { trackAction, untrackAction } from './cleanup.js';
import { aptInstall, whichSync } from './etcd-install.js';
import { IsolationError } from './errors.js';

const NFT_TIMEOUT_MS = 10_000;
/** Uids handed out start here, well above any account a Debian system creates. */
const UID_BASE = 200_000;
const UIDS_PER_PROCESS = 4_096;
let uidsHanded = 0;
let tablesMade = 0;

/** Runs `nft -f -` with `script` on stdin. */
function nft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'], timeout: NFT_TIMEOUT_MS });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (err) => reject(new IsolationError(`nft could not run: ${err.message}`, { cause: err })));
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new IsolationError(`nft failed (${signal ?? `exit code ${code}`}): ${stderr.trim()}\n${script}`)),
    );
    child.stdin.end(script);
  });
}

/** A member that can be isolated: its uid and the ports it listens on. */
export interface IsolatableProcess {
  readonly uid: number;
  readonly ports: readonly number[];
}

export class NetIsolation {
  private readonly isolated = new Map<number, IsolatableProcess>();
  private destroyed = false;
  private readonly removeAtExit = () =>
    execFileSync('nft', ['delete', 'table', 'inet', this.table], { stdio: 'ignore' });

  private constructor(
    /** nftables table name, unique per process and instance. */
    readonly table: string,
  ) {}

  /** Creates the table; installs nftables first if `nft` is missing. */
  static async create(): Promise<NetIsolation> {
    if (whichSync('nft') === undefined) await aptInstall(['nftables']);
    const isolation = new NetIsolation(`edg_bench_${process.pid}_${tablesMade++}`);
    await nft(
      [
        `add table inet ${isolation.table}`,
        // Marking runs first (lower priority), so a new connection is marked before any drop rule looks.
        `add chain inet ${isolation.table} marking { type filter hook output priority -10; policy accept; }`,
        `add chain inet ${isolation.table} isolating { type filter hook output priority 0; policy accept; }`,
      ].join('\n'),
    );
    trackAction(isolation.removeAtExit);
    return isolation;
  }

  /**
   * A fresh uid for one isolatable process, unique in this process and very
   * likely across processes (the range depends on the pid).
   */
  static allocateUid(): number {
    if (uidsHanded >= UIDS_PER_PROCESS) {
      throw new IsolationError(`more than ${UIDS_PER_PROCESS} isolatable uids requested`);
    }
    return UID_BASE + (process.pid % 100_000) * UIDS_PER_PROCESS + uidsHanded++;
  }

  /** Marks every connection that processes running as `uid` open from now on. */
  async register(uid: number): Promise<void> {
    this.assertUsable();
    await nft(`add rule inet ${this.table} marking ct state new meta skuid ${uid} ct mark set ${uid}`);
  }

  /** Cuts `target` off from everything on this host, until heal(). */
  async isolate(target: IsolatableProcess): Promise<void> {
    this.assertUsable();
    this.isolated.set(target.uid, target);
    await this.apply();
  }

  async heal(uid: number): Promise<void> {
    this.assertUsable();
    this.isolated.delete(uid);
    await this.apply();
  }

  isIsolated(uid: number): boolean {
    return this.isolated.has(uid);
  }

  /** Removes the table (every mark and drop rule). Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    untrackAction(this.removeAtExit);
    await nft(`delete table inet ${this.table}`);
  }

  private assertUsable(): void {
    if (this.destroyed) throw new IsolationError(`nftables table ${this.table} was destroyed`);
  }

  /** Rewrites the drop rules for the isolated set, atomically (one nft transaction). */
  private async apply(): Promise<void> {
    const lines = [`flush chain inet ${this.table} isolating`];
    for (const { uid, ports } of this.isolated.values()) {
      lines.push(`add rule inet ${this.table} isolating ct mark ${uid} drop`);
      if (ports.length > 0) {
        const set = `{ ${ports.join(', ')} }`;
        lines.push(`add rule inet ${this.table} isolating tcp dport ${set} drop`);
        lines.push(`add rule inet ${this.table} isolating tcp sport ${set} drop`);
      }
    }
    await nft(lines.join('\n'));
  }
}
