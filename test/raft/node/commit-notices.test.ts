// Goal: a leader's commit notices are held at most holdMs; one is dropped only when a later
// message to the same follower carries at least its commit (same term), sent before any other
// message to that follower, and sent when the hold ends; holdMs 0 holds nothing.
// Method: route message batches through a CommitNoticeHold with fake timers; record what is sent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newMessage } from '../../../src/raft/core/message.js';
import { logIndex, MessageType, nodeId, term, type Message } from '../../../src/raft/core/types.js';
import { CommitNoticeHold } from '../../../src/raft/node/commit-notices.js';

const entry = { index: logIndex(8), term: term(2), type: 0, data: new Uint8Array(0) } as Message['entries'][number];

function msg(type: MessageType, to: string, commit: number, opts: { entries?: boolean; msgTerm?: number } = {}): Message {
  return {
    ...newMessage(type, nodeId('n1'), nodeId(to), term(opts.msgTerm ?? 2)),
    commit: logIndex(commit),
    entries: opts.entries === true ? [entry] : [],
  };
}
const notice = (to: string, commit: number, msgTerm = 2) => msg(MessageType.App, to, commit, { msgTerm });
const describeAll = (ms: readonly Message[]) => ms.map((m) => `${m.type}>${m.to}@${m.commit}${m.entries.length > 0 ? '+e' : ''}`);

let sent: Message[][];
beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
});
afterEach(() => vi.useRealTimers());

describe('CommitNoticeHold', () => {
  it('holds the notices of a committing batch and sends them when the hold ends', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    const now = hold.route([notice('n2', 7), notice('n3', 7), msg(MessageType.Heartbeat, 'n4', 3)], true);
    expect(describeAll(now)).toEqual(['Heartbeat>n4@3']);
    expect(hold.size).toBe(2);
    vi.advanceTimersByTime(4);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent.map(describeAll)).toEqual([['App>n2@7', 'App>n3@7']]);
    expect(hold.size).toBe(0);
  });

  it('drops a notice that a later append or heartbeat with at least its commit makes redundant', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    hold.route([notice('n2', 7), notice('n3', 7)], true);
    const now = hold.route([msg(MessageType.App, 'n2', 7, { entries: true }), msg(MessageType.Heartbeat, 'n3', 9)], false);
    expect(describeAll(now)).toEqual(['App>n2@7+e', 'Heartbeat>n3@9']);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([]);
  });

  it('sends a held notice first when the next message to its follower does not carry its commit', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    hold.route([notice('n2', 7), notice('n3', 7), notice('n4', 7)], true);
    const now = hold.route(
      [
        msg(MessageType.ReadIndexResp, 'n2', 0), // a read index: the follower needs the commit that serves it
        msg(MessageType.App, 'n3', 6, { entries: true }), // a lower commit (match behind): not redundant
        msg(MessageType.App, 'n4', 8, { msgTerm: 3 }), // another term: not comparable
      ],
      false,
    );
    expect(describeAll(now)).toEqual(['App>n2@7', 'ReadIndexResp>n2@0', 'App>n3@7', 'App>n3@6+e', 'App>n4@7', 'App>n4@8']);
    expect(hold.size).toBe(0);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([]);
  });

  it('a newer notice replaces the held one; the hold is bounded from the first', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    hold.route([notice('n2', 7)], true);
    vi.advanceTimersByTime(3);
    hold.route([notice('n2', 8)], true);
    vi.advanceTimersByTime(2);
    expect(sent.map(describeAll)).toEqual([['App>n2@8']]);
  });

  it('appends with entries are never held, nor notices outside a committing batch', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    expect(describeAll(hold.route([msg(MessageType.App, 'n2', 7, { entries: true })], true))).toEqual(['App>n2@7+e']);
    expect(describeAll(hold.route([notice('n2', 7)], false))).toEqual(['App>n2@7']);
    expect(hold.size).toBe(0);
  });

  it('clear() drops what is held; holdMs 0 holds nothing', () => {
    const hold = new CommitNoticeHold(5, (ms) => sent.push([...ms]));
    hold.route([notice('n2', 7)], true);
    hold.clear();
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([]);
    const none = new CommitNoticeHold(0, (ms) => sent.push([...ms]));
    expect(describeAll(none.route([notice('n2', 7)], true))).toEqual(['App>n2@7']);
    expect(none.size).toBe(0);
    expect(() => new CommitNoticeHold(-1, () => undefined)).toThrow(/holdMs -1/);
  });
});
