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
}

export class JoinError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JoinError';
  }
}

export async function joinCluster(config: ServerConfig, logger: Logger, timeoutMs = 30_000): Promise<JoinRecord> {
  const client = new EdgernetesClient({ endpoints: [config.join!], callTimeoutMs: timeoutMs });
  try {
    logger.info({ join: config.join, advertise: config.advertise }, 'joining the cluster as a learner');
    const response = await client.addMember(config.id, config.advertise);
    const members: Member[] = response.members.map((m) => ({
      id: nodeId(m.id),
      address: m.address,
      role: m.learner ? 'learner' : 'voter',
    }));
    const voters = members.filter((m) => m.role === 'voter' && m.id !== config.id).map((m) => m.id);
    if (voters.length === 0) throw new JoinError(`the cluster at ${config.join} reported no voters`);
    return { confState: { voters, learners: [nodeId(config.id)] }, members };
  } catch (err) {
    if (err instanceof JoinError) throw err;
    throw new JoinError(`could not join the cluster through ${config.join}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.close();
  }
}
