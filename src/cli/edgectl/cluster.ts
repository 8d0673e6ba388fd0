/**
 * `edgectl cluster status|members|add-member|remove-member|transfer-leader|snapshot`.
 *
 * `cluster status -o json` prints
 *   {"leader": ID|null, "members": [{id, address, role, term, commitIndex, appliedIndex}]}
 * where role is the member's own answer (Leader, Follower, PreCandidate, Candidate, Learner) or
 * Unreachable when it did not answer the replica that was asked.
 */
import type { Command } from 'commander';
import type { Member, StatusResponse } from '../../gen/edgernetes/api/v1/cluster.js';
import type { Rendered } from './output.js';
import { withSession, type Session } from './session.js';

interface MemberStatus {
  readonly id: string;
  readonly address: string;
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

interface MemberRecord {
  readonly id: string;
  readonly address: string;
  /** Voters count toward quorum; learners only replicate (until promoted). */
  readonly kind: 'voter' | 'learner';
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function statusView(response: StatusResponse): Rendered {
  const members: MemberStatus[] = response.members
    .map((m) => ({ id: m.id, address: m.address, role: m.role, term: m.term, commitIndex: m.commitIndex, appliedIndex: m.appliedIndex }))
    .sort(byId);
  const leader = response.leaderId === '' ? null : response.leaderId;
  return {
    document: { leader, members },
    table: {
      title: `leader: ${leader ?? '(none known)'}   term: ${response.term}   answered by: ${response.memberId}`,
      head: ['ID', 'ADDRESS', 'ROLE', 'TERM', 'COMMIT', 'APPLIED'],
      rows: members.map((m) => [m.id, m.address, m.role, String(m.term), String(m.commitIndex), String(m.appliedIndex)]),
    },
  };
}

export function membersView(members: readonly Member[]): Rendered {
  const records: MemberRecord[] = members
    .map((m): MemberRecord => ({ id: m.id, address: m.address, kind: m.learner ? 'learner' : 'voter' }))
    .sort(byId);
  return {
    document: { members: records },
    table: { head: ['ID', 'ADDRESS', 'KIND'], rows: records.map((m) => [m.id, m.address, m.kind]), emptyText: 'No members.' },
  };
}

async function status(session: Session, localOnly: boolean): Promise<void> {
  session.print(statusView(await session.client.clusterStatus({ localOnly })));
}

async function members(session: Session): Promise<void> {
  const response = await session.client.clusterStatus();
  session.print(membersView(response.members));
}

async function addMember(session: Session, id: string, address: string, rejoin: boolean): Promise<void> {
  const response = await session.client.addMember(id, address, { rejoin });
  session.print(membersView(response.members));
}

async function removeMember(session: Session, id: string): Promise<void> {
  const response = await session.client.removeMember(id);
  session.print(membersView(response.members));
}

async function transferLeader(session: Session, to: string | undefined): Promise<void> {
  const response = await session.client.transferLeader(to ?? '');
  session.print({ document: { leader: response.leaderId }, table: { head: ['LEADER'], rows: [[response.leaderId]] } });
}

async function snapshot(session: Session): Promise<void> {
  const response = await session.client.snapshot();
  const document = { index: response.index, term: response.term };
  session.print({ document, table: { head: ['INDEX', 'TERM'], rows: [[String(document.index), String(document.term)]] } });
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('replicas of the control plane: status, membership, leadership');
  cluster
    .command('status')
    .description("every member's role, term, commit and applied index, and the leader")
    .option('--local', 'report only the replica that answers (no fan-out)')
    .action((opts: { local?: boolean }, cmd: Command) => withSession(cmd, (s) => status(s, opts.local === true)));
  cluster
    .command('members')
    .description('the recorded members: id, address, voter or learner')
    .action((_opts: object, cmd: Command) => withSession(cmd, members));
  cluster
    .command('add-member')
    .description('add a replica as a learner; it is promoted to voter once caught up')
    .argument('<id>', 'member id of the new replica, e.g. n4')
    .argument('<address>', 'HOST:PORT the new replica listens on')
    .option('--rejoin', 'the member exists but lost its data: remove it and add it back as a learner')
    .action((id: string, address: string, opts: { rejoin?: boolean }, cmd: Command) =>
      withSession(cmd, (s) => addMember(s, id, address, opts.rejoin === true)),
    );
  cluster
    .command('remove-member')
    .description('remove a replica from the cluster')
    .argument('<id>', 'member id')
    .action((id: string, _opts: object, cmd: Command) => withSession(cmd, (s) => removeMember(s, id)));
  cluster
    .command('transfer-leader')
    .description('hand leadership to ID (default: the most caught-up other voter)')
    .argument('[id]', 'member id of the new leader')
    .action((id: string | undefined, _opts: object, cmd: Command) => withSession(cmd, (s) => transferLeader(s, id)));
  cluster
    .command('snapshot')
    .description('take a state-machine snapshot on the replica that answers and compact its log')
    .action((_opts: object, cmd: Command) => withSession(cmd, snapshot));
}
