/**
 * Joining a running cluster (`--join HOST:PORT`): ask it to add this replica
 * as a learner, and learn the members to talk to. The leader replicates the
 * log (or a snapshot) to the learner and promotes it once it has caught up.
 */
import type { Logger } from 'pino';
import { EdgernetesClient } from '../client/client.js';
import { nodeId, type ConfState } from '../raft/core/types.js';
import type { Member } from '../fsm/index.js';
import type { ServerConfig } from './config.js';

/** Saved in the data dir so a restart before the first snapshot or conf entry arrives starts the same way. */
export interface JoinRecord {
  readonly confState: ConfState;
  readonly members: Member[];
  /**
   * The leader's applied index when it confirmed the join: at or after the
   * entry that added this replica, and the index at which `members` is the
   * configuration. Entries before it may concern an earlier incarnation of
   * the same id (e.g. its removal before a rejoin); see src/raft/node/removal.ts.
   * Absent in records written before it existed (read as 0).
   */
  readonly joinIndex?: number;
}

export class JoinError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JoinError';
  }
}

export interface JoinOptions {
  /** A running replica to ask. */
  readonly through: string;
  /** This replica is a member that lost its data: it is removed and added back as a learner. */
  readonly rejoin: boolean;
  readonly timeoutMs?: number;
}

export async function joinCluster(config: ServerConfig, logger: Logger, options: JoinOptions): Promise<JoinRecord> {
  const client = new EdgernetesClient({ endpoints: [options.through], callTimeoutMs: options.timeoutMs ?? 30_000 });
  try {
    logger.info({ through: options.through, advertise: config.advertise, rejoin: options.rejoin }, 'joining the cluster as a learner');
    const response = await client.addMember(config.id, config.advertise, { rejoin: options.rejoin });
    const members: Member[] = response.members.map((m) => ({
      id: nodeId(m.id),
      address: m.address,
      role: m.learner ? 'learner' : 'voter',
    }));
    const voters = members.filter((m) => m.role === 'voter' && m.id !== config.id).map((m) => m.id);
    if (voters.length === 0) throw new JoinError(`the cluster at ${options.through} reported no voters`);
    // The answering leader reports its own applied index with the list (Replica.memberList).
    const joinIndex = Math.max(0, ...response.members.map((m) => m.appliedIndex));
    if (joinIndex === 0) throw new JoinError(`the cluster at ${options.through} did not report the index its member list is at`);
    return { confState: { voters, learners: [nodeId(config.id)] }, members, joinIndex };
  } catch (err) {
    if (err instanceof JoinError) throw err;
    throw new JoinError(`could not join the cluster through ${options.through}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.close();
  }
}

/** Time to wait for each founding peer when deciding whether the cluster already runs. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * A replica with an empty data dir and --peers is either founding a new
 * cluster or a member that lost its data. If a peer already follows a leader
 * past the bootstrap term, it is the latter: bootstrapping would let it vote
 * again in a term it may have voted in before its data was lost, so it must
 * rejoin as a learner instead. Returns the address to rejoin through, or null.
 */
export async function findRunningCluster(config: ServerConfig, logger: Logger): Promise<string | null> {
  const others = config.peers.filter((p) => p.id !== config.id);
  const answers = await Promise.all(
    others.map(async (peer) => {
      const client = new EdgernetesClient({ endpoints: [peer.address], callTimeoutMs: PROBE_TIMEOUT_MS });
      try {
        const status = await client.clusterStatus({ localOnly: true, timeoutMs: PROBE_TIMEOUT_MS });
        return status.leaderId !== '' && status.term > 1 ? peer.address : null;
      } catch {
        return null; // not up: no evidence of a running cluster
      } finally {
        client.close();
      }
    }),
  );
  const through = answers.find((a) => a !== null) ?? null;
  if (through !== null) logger.warn({ through }, 'data dir is empty but the cluster is running: rejoining as a learner');
  return through;
}
