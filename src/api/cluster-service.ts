/**
 * The Cluster gRPC service: membership, roles and indexes of every replica,
 * leadership transfer and snapshots. Membership changes are leader-only
 * (forwarded otherwise) and answer once applied.
 */
import {
  ClusterClient,
  type AddMemberRequest,
  type AddMemberResponse,
  type ClusterServer,
  type Member,
  type RemoveMemberRequest,
  type RemoveMemberResponse,
  type SnapshotRequest,
  type SnapshotResponse,
  type StatusRequest,
  type StatusResponse,
  type TransferLeaderRequest,
  type TransferLeaderResponse,
} from '../gen/edgernetes/api/v1/cluster.js';
import { unary, type CallContext, type CallDefaults } from './call.js';
import type { ReplicaApi } from './replica-api.js';
import { invalidArgument } from './status.js';

/** What the Cluster service needs beyond ReplicaApi. */
export interface ClusterApi extends ReplicaApi {
  /** This replica's own view: role, term, commit and applied index. */
  selfMember(): Member;
  /** Recorded members (id, address, learner) as this replica has applied them — without live indexes. */
  memberList(): Promise<Member[]>;
  leaderId(): string;
  /** Ask one member for its own view; rejects if it does not answer in time. */
  askMember(id: string, address: string, deadlineMs: number): Promise<Member>;
  /** Adds `id` as a learner; with `rejoin`, an existing `id` is removed first (it lost its data). */
  addLearner(id: string, address: string, rejoin: boolean, context: CallContext): Promise<void>;
  removeMember(id: string, context: CallContext): Promise<void>;
  /** Start a transfer (to the most caught-up voter when `to` is empty); resolves with the new leader. */
  transferLeadership(to: string, context: CallContext): Promise<string>;
  snapshotNow(): Promise<{ index: number; term: number }>;
}

/** How long a status fan-out waits for each member. */
const STATUS_MEMBER_TIMEOUT_MS = 500;
const MEMBER_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;

export function clusterService(replica: ClusterApi, defaults: CallDefaults): ClusterServer {
  const onLeader = <Req, Res>(method: (c: ClusterClient) => Function, request: Req, context: CallContext, run: () => Promise<Res>) =>
    replica.isLeader() ? run() : replica.forwardToLeader<ClusterClient, Req, Res>(ClusterClient, method, request, context);

  return {
    status: unary<StatusRequest, StatusResponse>(defaults, async (request, context) => {
      const self = replica.selfMember();
      let members: Member[] = [self];
      if (!request.localOnly) {
        const deadlineMs = Math.min(context.deadlineMs, Date.now() + STATUS_MEMBER_TIMEOUT_MS);
        members = await Promise.all(
          (await replica.memberList()).map((m) =>
            m.id === replica.id
              ? self
              : replica.askMember(m.id, m.address, deadlineMs).catch(() => ({ ...m, role: 'Unreachable', term: 0, commitIndex: 0, appliedIndex: 0 })),
          ),
        );
        if (!members.some((m) => m.id === self.id)) members.push(self);
      }
      return { leaderId: replica.leaderId(), term: replica.term(), members, memberId: replica.id };
    }),

    addMember: unary<AddMemberRequest, AddMemberResponse>(defaults, (request, context) => {
      if (!MEMBER_ID.test(request.id)) throw invalidArgument('id', `${JSON.stringify(request.id)} must be 1-63 lowercase letters, digits or '-'`);
      if (!HOST_PORT.test(request.address)) throw invalidArgument('address', `${JSON.stringify(request.address)} is not HOST:PORT`);
      return onLeader((c) => c.addMember, request, context, async () => {
        await replica.addLearner(request.id, request.address, request.rejoin, context);
        return { members: await replica.memberList() };
      });
    }),

    removeMember: unary<RemoveMemberRequest, RemoveMemberResponse>(defaults, (request, context) => {
      if (request.id === '') throw invalidArgument('id', 'is required');
      return onLeader((c) => c.removeMember, request, context, async () => {
        await replica.removeMember(request.id, context);
        return { members: await replica.memberList() };
      });
    }),

    transferLeader: unary<TransferLeaderRequest, TransferLeaderResponse>(defaults, (request, context) =>
      onLeader((c) => c.transferLeader, request, context, async () => ({
        leaderId: await replica.transferLeadership(request.to, context),
      })),
    ),

    snapshot: unary<SnapshotRequest, SnapshotResponse>(defaults, async () => {
      const taken = await replica.snapshotNow();
      return { index: taken.index, term: taken.term };
    }),
  };
}

