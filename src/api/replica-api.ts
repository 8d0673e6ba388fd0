/**
 * What the API services need from the replica they run on. Implemented by
 * src/server/replica.ts; kept narrow so the services stay thin and testable.
 */
import type { Client } from '@grpc/grpc-js';
import type { ApplyResult, Command, ReadView, Watcher, WatchOptions } from '../fsm/index.js';
import type { KvMethod, KvMethods } from '../client/kv-calls.js';
import type { CallContext } from './call.js';

export type CommandBody = Omit<Command, 'v'>;

export interface ReadResult<T> {
  readonly value: T;
  /** Revision of the state read. */
  readonly revision: number;
}

export interface ReplicaApi {
  readonly id: string;
  /** Current Raft term as this replica knows it. */
  term(): number;
  isLeader(): boolean;
  /** Propose `command` on this replica (the leader) and wait until applied. Throws NotLeaderError otherwise. */
  write(command: CommandBody, context: CallContext): Promise<ApplyResult>;
  /** Read from local state; linearizable (ReadIndex) unless `stale`. */
  read<T>(stale: boolean, context: CallContext, read: (view: ReadView) => Promise<T>): Promise<ReadResult<T>>;
  /**
   * Opens a watcher on this replica's own applied state (see src/fsm/watch.ts).
   * Throws CompactedError, ValidationError, TooManyReadersError, or an error
   * mapping to UNAVAILABLE while the replica stops.
   */
  watch(options: WatchOptions): Watcher;
  /**
   * Send this call to the leader instead (one hop; waits for a leader until the
   * deadline). `method` picks the same method on a client of the leader.
   */
  /**
   * Send this KV request to the leader on the replica's pipeline stream to it
   * (one hop; waits for a leader until the deadline); a leader without the
   * Pipeline service gets the unary call instead. Errors keep the leader's
   * status code and message.
   */
  forwardKv<M extends KvMethod>(method: M, request: KvMethods[M][0], context: CallContext): Promise<KvMethods[M][1]>;
  forwardToLeader<C extends Client, Req, Res>(
    Ctor: new (address: string, credentials: import('@grpc/grpc-js').ChannelCredentials, options?: object) => C,
    method: (client: C) => Function,
    request: Req,
    context: CallContext,
  ): Promise<Res>;
}
