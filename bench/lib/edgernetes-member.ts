/**
 * One `edgernetes server` process of a benchmark cluster (member-process.ts
 * spawns, signals and waits for it).
 *
 * The replica is `node [SERVER_NODE_FLAGS] bin/edgernetes.mjs server …`, as deployed; setpriv execs node, and
 * the server runs in that node process (tsx registers in-process), so the pid
 * we hold is the replica's own: SIGKILL to it is a crash of the replica.
 */
import { fileURLToPath } from 'node:url';
import { EdgernetesClusterError } from './edgernetes-errors.js';
import { MemberProcess } from './member-process.js';

/** The server's entry point (bin/edgernetes.mjs), run by this very node binary. */
export const EDGERNETES_BIN = fileURLToPath(new URL('../../bin/edgernetes.mjs', import.meta.url));

export interface EdgernetesMemberSpec {
  /** Replica id, e.g. "n1". */
  readonly id: string;
  /** Command line after `edgernetes`, starting with `server`. */
  readonly args: readonly string[];
  readonly logPath: string;
  /** Run as this uid/gid (for network isolation); needs setpriv. Default: ours. */
  readonly uid?: number;
  /** Node flags before the script: the product's (SERVER_NODE_FLAGS) unless a bench compares others. */
  readonly nodeFlags: readonly string[];
}

export class EdgernetesMember extends MemberProcess {
  constructor(readonly spec: EdgernetesMemberSpec) {
    super({
      label: `replica ${spec.id}`,
      command: [process.execPath, ...spec.nodeFlags, EDGERNETES_BIN, ...spec.args],
      logPath: spec.logPath,
      uid: spec.uid,
      // The server reads every flag from an EDGERNETES_* variable (e.g. EDGERNETES_JOIN).
      droppedEnvPrefix: 'EDGERNETES_',
      newError: (message) => new EdgernetesClusterError(message),
    });
  }
}
