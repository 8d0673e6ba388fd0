// Shared fixtures for the transport tests: message builders, an in-memory
// snapshot sink, a collecting handler set, and a way to start transports on
// ephemeral 127.0.0.1 ports that know each other. Every wait is bounded.
import {
  EntryType,
  MessageType,
  logIndex,
  nodeId,
  term,
  type Entry,
  type Message,
  type NodeId,
} from '../../../src/raft/core/types.js';
import {
  PeerTransport,
  type IncomingSnapshot,
  type SnapshotSink,
  type SnapshotWriter,
  type TransportConfigInput,
  type TransportLogger,
} from '../../../src/raft/transport/index.js';
import type { MessageDropError } from '../../../src/raft/transport/errors.js';
import type { FaultPoints } from '../../../src/raft/transport/faults.js';
import { raftMessage } from '../../support/raft-messages.js';

/** A Message with neutral values for every field not given (see test/support/raft-messages.ts). */
export const message = raftMessage;

export function entry(index: number, entryTerm: number, data: Uint8Array, type = EntryType.Normal): Entry {
  return { index: logIndex(index), term: term(entryTerm), type, data };
}

export function heartbeat(from: NodeId, to: NodeId, commit = 0): Message {
  return message({ type: MessageType.Heartbeat, from, to, commit: logIndex(commit) });
}

/** Deterministic pseudo-random bytes (xorshift32), so failures replay. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const silentLogger: TransportLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** A logger that remembers warn lines (message text and fields). */
export class CapturingLogger implements TransportLogger {
  readonly warnings: { obj: object; msg: string }[] = [];
  debug(): void {}
  info(): void {}
  warn(obj: object, msg: string): void {
    if (this.warnings.length < 1000) this.warnings.push({ obj, msg });
  }
  error(obj: object, msg: string): void {
    this.warn(obj, msg);
  }
}

/** Stores transfers in memory; `failOnChunk` makes writeChunk reject from that chunk on. */
export class MemorySink implements SnapshotSink {
  readonly finished: { snapshot: IncomingSnapshot; bytes: Uint8Array }[] = [];
  readonly aborted: Error[] = [];
  failOnChunk: number | null = null;
  begun = 0;

  async begin(snapshot: IncomingSnapshot): Promise<SnapshotWriter> {
    this.begun++;
    const parts: Uint8Array[] = [];
    let chunks = 0;
    return {
      writeChunk: async (data, offset) => {
        if (this.failOnChunk !== null && chunks >= this.failOnChunk) throw new Error('disk full (test sink)');
        const written = parts.reduce((n, p) => n + p.length, 0);
        if (offset !== written) throw new Error(`sink got offset ${offset}, wrote ${written}`);
        parts.push(data);
        chunks++;
      },
      finish: async () => {
        this.finished.push({ snapshot, bytes: Buffer.concat(parts) });
      },
      abort: async (reason) => {
        this.aborted.push(reason);
      },
    };
  }
}

/** Records everything a transport reports to its driver. */
export class Recorder {
  readonly messages: Message[] = [];
  readonly unreachable: { peer: NodeId; atMs: number }[] = [];
  /** Peers reported as having opened a stream to us, in order. */
  readonly reachable: NodeId[] = [];
  /** The first 10 000 drop reports; droppedCount counts every dropped message. */
  readonly dropped: { peer: NodeId; messages: readonly Message[]; error: MessageDropError }[] = [];
  droppedCount = 0;
  /** What a delivered snapshot waits for before its transfer is answered (a follower's install). */
  install: (message: Message) => Promise<void> = async () => {};
  readonly handlers = {
    onMessages: (batch: readonly Message[]) => {
      this.messages.push(...batch);
    },
    onSnapshot: async (message: Message) => {
      this.messages.push(message);
      await this.install(message);
    },
    onPeerUnreachable: (peer: NodeId) => {
      this.unreachable.push({ peer, atMs: performance.now() });
    },
    onPeerReachable: (peer: NodeId) => {
      if (this.reachable.length < 10_000) this.reachable.push(peer);
    },
    onMessagesDropped: (peer: NodeId, messages: readonly Message[], error: MessageDropError) => {
      this.droppedCount += messages.length;
      if (this.dropped.length < 10_000) this.dropped.push({ peer, messages, error });
    },
  };
}

export interface TestNode {
  readonly id: NodeId;
  readonly transport: PeerTransport;
  readonly recorder: Recorder;
  readonly sink: MemorySink;
  readonly port: number;
  readonly address: string;
}

export interface NodeOptions {
  readonly config?: Partial<TransportConfigInput>;
  readonly faults?: FaultPoints;
  readonly logger?: TransportLogger;
  /** Fixed port (e.g. to restart a node on the same address); 0 = ephemeral. */
  readonly port?: number;
}

/** A transport listening on 127.0.0.1, not started, with no peers yet. */
export async function createNode(id: string, options: NodeOptions = {}): Promise<TestNode> {
  const recorder = new Recorder();
  const sink = new MemorySink();
  const transport = new PeerTransport({
    config: { selfId: nodeId(id), peers: new Map(), reconnectBackoffMaxMs: 200, ...options.config },
    handlers: recorder.handlers,
    snapshotSink: sink,
    faults: options.faults,
    logger: options.logger ?? silentLogger,
  });
  const port = await transport.listen(`127.0.0.1:${options.port ?? 0}`);
  return { id: nodeId(id), transport, recorder, sink, port, address: `127.0.0.1:${port}` };
}

/** Makes every node a peer of every other, starts them, and waits until all streams are up. */
export async function connectAll(nodes: readonly TestNode[]): Promise<void> {
  for (const a of nodes) {
    for (const b of nodes) if (a !== b) await a.transport.addPeer(b.id, b.address);
  }
  for (const n of nodes) n.transport.start();
  await waitFor('all streams up', () =>
    nodes.every((a) =>
      nodes.every((b) => {
        if (a === b) return true;
        const s = a.transport.stats().peers[b.id];
        return s !== undefined && s.outboundConnected && s.inboundStreams > 0;
      }),
    ),
  );
}

/** Nodes n1 and n2, connected both ways; stopped again if connecting fails, so no server outlives the test. */
export async function connectedPair(): Promise<[TestNode, TestNode]> {
  const a = await createNode('n1');
  const b = await createNode('n2');
  try {
    await connectAll([a, b]);
  } catch (err) {
    await stopAll([a, b]);
    throw err;
  }
  return [a, b];
}

export async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.transport.stop()));
}

/** Polls `condition` every 5 ms until true; throws after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function* chunksOf(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += pieceBytes) yield bytes.subarray(i, i + pieceBytes);
}

/** A message with byte fields as hex strings, for deep equality across Buffer/Uint8Array. */
export function canonical(m: Message): unknown {
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return {
    ...m,
    context: hex(m.context),
    entries: m.entries.map((e) => ({ ...e, data: hex(e.data) })),
    snapshot: m.snapshot === null ? null : { ...m.snapshot, data: hex(m.snapshot.data) },
  };
}

/** One valid message of every type, with every field the type uses set to a non-default value. */
export function everyMessageType(from: NodeId = nodeId('n1'), to: NodeId = nodeId('n2')): Message[] {
  const n1 = from;
  const n2 = to;
  const binary = pseudoRandomBytes(300, 7);
  const ctxBytes = new Uint8Array([0, 1, 2, 0xff]);
  const snapshot = {
    metadata: { index: logIndex(90), term: term(4), confState: { voters: [n1, n2, nodeId('n3')], learners: [nodeId('n4')] } },
    data: new Uint8Array(0),
  };
  return [
    message({
      type: MessageType.App, from: n1, to: n2, term: term(5), index: logIndex(100), logTerm: term(4), commit: logIndex(99),
      entries: [entry(101, 4, binary), entry(102, 5, new Uint8Array(0)), entry(103, 5, new Uint8Array([9]), EntryType.ConfChange)],
    }),
    message({ type: MessageType.AppResp, from: n1, to: n2, term: term(5), index: logIndex(103), reject: true, rejectHint: logIndex(97), rejectHintTerm: term(3) }),
    message({ type: MessageType.PreVote, from: n1, to: n2, term: term(6), index: logIndex(103), logTerm: term(5) }),
    message({ type: MessageType.PreVoteResp, from: n1, to: n2, term: term(6), reject: true }),
    message({ type: MessageType.Vote, from: n1, to: n2, term: term(6), index: logIndex(103), logTerm: term(5) }),
    message({ type: MessageType.VoteResp, from: n1, to: n2, term: term(6) }),
    message({ type: MessageType.Heartbeat, from: n1, to: n2, term: term(6), commit: logIndex(103), context: ctxBytes }),
    message({ type: MessageType.HeartbeatResp, from: n1, to: n2, term: term(6), context: ctxBytes }),
    message({ type: MessageType.Snap, from: n1, to: n2, term: term(6), snapshot }),
    message({ type: MessageType.TimeoutNow, from: n1, to: n2, term: term(6) }),
    message({ type: MessageType.Prop, from: n1, to: n2, term: term(0), entries: [entry(0, 0, binary)] }),
    message({ type: MessageType.ReadIndex, from: n1, to: n2, context: ctxBytes }),
    message({ type: MessageType.ReadIndexResp, from: n1, to: n2, term: term(6), index: logIndex(103), context: ctxBytes }),
  ];
}

