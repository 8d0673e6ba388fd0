// Goal: a follower hands its append response to the network and lets one event-loop turn pass
// (so grpc-js's promise-chained write path reaches the socket) before it applies the entries the
// same append committed; a leader applies at once (its apply is on the client's answer path).
// Method: a RaftDriver over the real core with an in-memory log, a network that records sends and
// schedules a "flushed" marker with setImmediate on each send (as Node's HTTP/2 flushes writes), and
// a state machine that records, at each applyBatch, whether the marker had fired.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRaft,
  DEFAULT_RAFT_CONFIG,
  EntryType,
  logIndex,
  MessageType,
  nodeId,
  seededRng,
  term,
  type Entry,
  type Message,
} from '../../../src/raft/core/index.js';
import { newMessage } from '../../../src/raft/core/message.js';
import { RaftDriver } from '../../../src/raft/node/driver.js';
import type { ApplyTarget, DurableLog, PeerNetwork } from '../../../src/raft/node/ports.js';

const ids = ['n1', 'n2', 'n3'].map(nodeId);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Rig {
  driver: RaftDriver<string>;
  sent: Message[];
  /** One line per applyBatch: the first index and whether every earlier send had flushed. */
  applies: { first: number; sendsFlushed: boolean }[];
}

function rig(self: string): Rig {
  const sent: Message[] = [];
  let sendsPending = 0;
  const applies: Rig['applies'] = [];
  let appliedIndex = logIndex(0);
  const log: DurableLog = { append: async () => {}, saveSnapshot: async () => {}, snapshotIndex: 0 };
  const network: PeerNetwork = {
    send(messages) {
      sent.push(...messages);
      sendsPending++;
      setImmediate(() => sendsPending--);
    },
    sendSnapshot: async () => undefined,
  };
  const stateMachine: ApplyTarget<string> = {
    get appliedIndex() {
      return appliedIndex;
    },
    async applyBatch(entries) {
      applies.push({ first: entries[0]!.index, sendsFlushed: sendsPending === 0 });
      appliedIndex = entries[entries.length - 1]!.index;
      return { results: entries.map((e) => `applied ${e.index}`), stored: Promise.resolve() };
    },
  };
  const core = createRaft(
    { ...DEFAULT_RAFT_CONFIG, id: nodeId(self) },
    {
      hardState: { term: term(0), vote: null, commit: logIndex(0) },
      snapshot: null,
      entries: [],
      bootstrapConfState: { voters: ids, learners: [] },
      appliedIndex: logIndex(0),
    },
    seededRng(1),
  );
  const driver = new RaftDriver<string>({
    id: nodeId(self),
    core,
    log,
    network,
    stateMachine,
    snapshots: { send: async () => ({ index: 0, bytes: 0, durationMs: 0 }), installStaged: async () => false, syncStateMachine: async () => appliedIndex },
    logger: quiet,
    tickIntervalMs: 200, // elections time out after 2 s, far beyond a test's few turns
    electionTimeoutMs: 50, // bounds a stopping leader's hand-over wait (no peer answers here)
    snapshotEntries: 1_000_000,
    snapshotRetainEntries: 0,
    proposalsMax: 16,
    readsMax: 16,
    applyQueueEntriesMax: 1_000,
    commitNoticeHoldMs: 0,
    bootNonce: 'test',
    membership: { incarnationIndex: logIndex(0), initialConfIndex: logIndex(0) },
  });
  return { driver, sent, applies };
}

const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};

let running: RaftDriver<string>[] = [];
afterEach(async () => {
  await Promise.all(running.map((d) => d.stop()));
  running = [];
});

describe('RaftDriver apply order', () => {
  it('a follower sends its append response and lets it flush before applying what the append committed', async () => {
    const f = rig('n2');
    running.push(f.driver);
    f.driver.start();
    const entries: Entry[] = [1, 2].map((i) => ({
      index: logIndex(i),
      term: term(1),
      type: EntryType.Normal,
      data: new Uint8Array([i]),
    }));
    f.driver.receive([
      { ...newMessage(MessageType.App, ids[0]!, ids[1]!, term(1)), entries, commit: logIndex(2) },
    ]);
    await settle();
    const resp = f.sent.filter((m) => m.type === MessageType.AppResp);
    expect(resp).toHaveLength(1);
    expect(resp[0]!.index).toBe(2);
    expect(f.applies).toEqual([{ first: 1, sendsFlushed: true }]);
  });

  it('a leader applies what an append response committed without waiting a turn', async () => {
    const l = rig('n1');
    running.push(l.driver);
    l.driver.start();
    // n2 hands leadership over at term 1; n1 campaigns at term 2 and n2's vote elects it.
    l.driver.receive([newMessage(MessageType.TimeoutNow, ids[1]!, ids[0]!, term(1))]);
    await settle();
    const vote = l.sent.find((m) => m.type === MessageType.Vote);
    expect(vote?.term).toBe(2);
    l.driver.receive([newMessage(MessageType.VoteResp, ids[1]!, ids[0]!, term(2))]);
    await settle();
    expect(l.driver.isLeader()).toBe(true);
    const append = l.sent.find((m) => m.type === MessageType.App && m.to === ids[1] && m.entries.length > 0);
    const last = append!.entries[append!.entries.length - 1]!.index;
    l.driver.receive([{ ...newMessage(MessageType.AppResp, ids[1]!, ids[0]!, term(2)), index: last }]);
    await settle();
    expect(l.applies).toEqual([{ first: 1, sendsFlushed: false }]);
  });
});
