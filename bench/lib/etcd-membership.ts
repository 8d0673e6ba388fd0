/**
 * etcd's Cluster service (MemberList, MemberRemove, MemberAdd) over one
 * member's client URL: what an operator uses to replace a member whose disk
 * was lost (etcd's runtime reconfiguration guide: remove the member, add it
 * back, start it on an empty data dir with --initial-cluster-state=existing).
 *
 * Calls go to one endpoint (the recovery bench uses the leader's) with a
 * deadline; an UNAVAILABLE answer (etcd's "unhealthy cluster", or no leader
 * for a moment) is retried after a short pause until that deadline, as etcdctl
 * users do by hand. Member ids are uint64, kept as decimal strings.
 */
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as GrpcStatus,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { ensureEtcd } from './etcd-install.js';
import { loadEtcdProtos } from './etcd-proto.js';
import { EtcdRequestError } from './errors.js';
import { sleepMs } from './wait.js';

/** Pause before retrying a call that etcd answered UNAVAILABLE. */
const RETRY_PAUSE_MS = 50;

export interface EtcdMemberEntry {
  /** Decimal uint64. */
  readonly id: string;
  /** Empty until the member has started and published itself. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly isLearner: boolean;
}

interface MemberMessage {
  ID: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

type Callback = (error: ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: object, metadata: Metadata, options: { deadline: Date }, cb: Callback) => unknown;

function entryOf(m: MemberMessage): EtcdMemberEntry {
  return { id: m.ID, name: m.name, peerUrls: m.peerURLs, isLearner: m.isLearner };
}

export class EtcdMembership {
  private constructor(
    private readonly client: Client,
    readonly endpoint: string,
    private readonly callTimeoutMs: number,
  ) {}

  /** A client of the Cluster service at `endpoint` (HOST:PORT); each call bounded by `callTimeoutMs`. */
  static async create(endpoint: string, callTimeoutMs: number): Promise<EtcdMembership> {
    if (!(callTimeoutMs > 0)) throw new RangeError(`callTimeoutMs: ${callTimeoutMs} must be > 0`);
    const { protoFiles } = await ensureEtcd();
    const pkg = loadPackageDefinition(loadEtcdProtos(protoFiles)).etcdserverpb as GrpcObject;
    const Cluster = pkg.Cluster as ServiceClientConstructor;
    return new EtcdMembership(new Cluster(endpoint, credentials.createInsecure()), endpoint, callTimeoutMs);
  }

  async list(): Promise<EtcdMemberEntry[]> {
    const response = (await this.call('MemberList', {})) as { members: MemberMessage[] };
    return response.members.map(entryOf);
  }

  /** Removes member `id`; returns the members left. */
  async remove(id: string): Promise<EtcdMemberEntry[]> {
    const response = (await this.call('MemberRemove', { ID: id })) as { members: MemberMessage[] };
    return response.members.map(entryOf);
  }

  /** Adds a voting member (not started yet) with `peerUrls`; returns it, with the id etcd gave it. */
  async add(peerUrls: readonly string[]): Promise<EtcdMemberEntry> {
    const response = (await this.call('MemberAdd', { peerURLs: peerUrls, isLearner: false })) as { member: MemberMessage };
    return entryOf(response.member);
  }

  close(): void {
    this.client.close();
  }

  private async call(name: string, request: object): Promise<unknown> {
    const method = (this.client as unknown as Record<string, UnaryMethod>)[name];
    assert.ok(typeof method === 'function', `etcd Cluster has method ${name}`);
    const deadlineMs = Date.now() + this.callTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await invoke(method.bind(this.client), request, deadlineMs);
      } catch (err) {
        const e = err as ServiceError;
        if (e.code !== GrpcStatus.UNAVAILABLE || Date.now() + RETRY_PAUSE_MS >= deadlineMs) {
          const message = `etcd ${name} at ${this.endpoint} failed (attempt ${attempt}): ${e.details || e.message}`;
          throw new EtcdRequestError(message, e.code, { cause: e });
        }
        await sleepMs(RETRY_PAUSE_MS);
      }
    }
  }
}

function invoke(method: UnaryMethod, request: object, deadlineMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: new Date(deadlineMs) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}
