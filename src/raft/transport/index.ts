/** The Raft peer transport: public surface for the production driver, tests and the chaos suite. */
export { PeerTransport, type PeerTransportOptions, type TransportHandlers } from './transport.js';
export {
  TRANSPORT_DEFAULTS,
  resolveTransportConfig,
  type TransportConfig,
  type TransportConfigInput,
} from './config.js';
export {
  APPLIED_INDEX_TRAILER,
  MEMBERSHIP_TRAILER,
  REMOVED_AT_TRAILER,
  readStatement,
  statementTrailers,
  type MembershipKind,
  type MembershipOracle,
  type MembershipStatement,
  type PeerRefusal,
} from './refusal.js';
export { FaultPoints, type FaultDirection, type FaultRule } from './faults.js';
export { serverOptions, channelOptions, rawRaftPeerService } from './grpc-service.js';
export type { IncomingSnapshot, SnapshotSendResult, SnapshotSink, SnapshotWriter } from './snapshot-types.js';
export type { PeerStats, TransportStats } from './stats.js';
export type { TransportLogger } from './logger.js';
export * from './errors.js';
