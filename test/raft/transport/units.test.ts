// Goal: the transport's small pure parts behave exactly as documented — the
// outbound queue's bounds and overflow policy, backoff growth/jitter/reset,
// fault point verdicts, and the once-per-outage unreachable signal.
// Method: direct calls with injected randomness; no network, no timers.
import { describe, expect, it } from 'vitest';
import { MessageType, nodeId, type Message } from '../../../src/raft/core/types.js';
import { Backoff } from '../../../src/raft/transport/backoff.js';
import { resolveTransportConfig } from '../../../src/raft/transport/config.js';
import { TransportConfigError } from '../../../src/raft/transport/errors.js';
import { FaultPoints } from '../../../src/raft/transport/faults.js';
import { OutboundQueue, type QueuedFrame } from '../../../src/raft/transport/outbound-queue.js';
import { PeerHealth } from '../../../src/raft/transport/peer-health.js';
import { heartbeat, message } from './helpers.js';

const n1 = nodeId('n1');
const n2 = nodeId('n2');

function item(type: MessageType, bytes: number, tag = 0): QueuedFrame {
  const m: Message = type === MessageType.Heartbeat ? heartbeat(n1, n2, tag) : message({ type, from: n1, to: n2, commit: tag as Message['commit'] });
  return { message: m, frame: new Uint8Array(bytes), entryCount: type === MessageType.App ? 1 : 0, bulky: type === MessageType.App || type === MessageType.Prop };
}

describe('OutboundQueue', () => {
  it('drops the incoming bulky message when count or bytes would overflow', () => {
    const q = new OutboundQueue(3, 100);
    expect(q.push(item(MessageType.App, 40, 1))).toEqual([]);
    expect(q.push(item(MessageType.App, 40, 2))).toEqual([]);
    const dropped = q.push(item(MessageType.App, 40, 3));
    expect(dropped.map((m) => m.commit)).toEqual([3]);
    expect(q.push(item(MessageType.App, 10, 4))).toEqual([]);
    expect(q.push(item(MessageType.App, 1, 5)).map((m) => m.commit)).toEqual([5]); // count bound
    expect([q.count, q.bytes]).toEqual([3, 90]);
  });

  it('makes room for a control message by evicting the newest bulky ones only', () => {
    const q = new OutboundQueue(10, 100);
    q.push(item(MessageType.App, 30, 1));
    q.push(item(MessageType.Vote, 30, 2));
    q.push(item(MessageType.App, 30, 3));
    const evicted = q.push(item(MessageType.Heartbeat, 20, 4));
    expect(evicted.map((m) => m.commit)).toEqual([3]);
    expect(q.bytes).toBe(80);
    const batch = q.take({ bytesMax: 1000, messagesMax: 100, entriesMax: 100 });
    expect(batch.messageCount).toBe(3);
    expect(batch.bytes).toBe(80);
  });

  it('drops a control message rather than evict when eviction cannot make room', () => {
    const q = new OutboundQueue(10, 100);
    q.push(item(MessageType.Vote, 50, 1));
    q.push(item(MessageType.App, 30, 2));
    const dropped = q.push(item(MessageType.Heartbeat, 80, 3));
    expect(dropped.map((m) => m.type)).toEqual([MessageType.Heartbeat]);
    expect([q.count, q.bytes]).toEqual([2, 80]);
  });

  it('takes FIFO batches within byte, message and entry limits, at least one frame', () => {
    const q = new OutboundQueue(100, 10_000);
    for (let i = 0; i < 10; i++) q.push(item(MessageType.App, 100, i));
    expect(q.take({ bytesMax: 250, messagesMax: 100, entriesMax: 100 }).messageCount).toBe(2);
    expect(q.take({ bytesMax: 10_000, messagesMax: 3, entriesMax: 100 }).messageCount).toBe(3);
    expect(q.take({ bytesMax: 10_000, messagesMax: 100, entriesMax: 2 }).messageCount).toBe(2);
    expect(q.take({ bytesMax: 50, messagesMax: 100, entriesMax: 100 }).messageCount).toBe(1);
    expect(q.take({ bytesMax: 10_000, messagesMax: 100, entriesMax: 100 }).messageCount).toBe(2);
    expect([q.count, q.bytes]).toEqual([0, 0]);
    expect(q.take({ bytesMax: 10_000, messagesMax: 100, entriesMax: 100 }).messageCount).toBe(0);
  });
});

describe('Backoff', () => {
  it('doubles from initial to max, with jitter inside ±ratio, and resets', () => {
    const mid = new Backoff({ initialMs: 50, maxMs: 1000, jitterRatio: 0.2, random: () => 0.5 });
    expect(Array.from({ length: 7 }, () => mid.nextDelayMs())).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    mid.reset();
    expect(mid.nextDelayMs()).toBe(50);
    const low = new Backoff({ initialMs: 100, maxMs: 1000, jitterRatio: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1000, jitterRatio: 0.2, random: () => 0.999999 });
    expect(low.nextDelayMs()).toBe(80);
    expect(high.nextDelayMs()).toBe(120);
    for (let i = 0; i < 10; i++) expect(high.nextDelayMs()).toBeLessThanOrEqual(1000);
  });
});

describe('FaultPoints', () => {
  it('is disabled without rules, and rules act per peer and direction', () => {
    let draw = 0;
    const randoms = [0.1, 0.9];
    const faults = new FaultPoints(() => randoms[draw++ % 2]);
    expect(faults.enabled).toBe(false);
    faults.setDropProbability(n2, 0.5);
    expect(faults.enabled).toBe(true);
    expect([faults.verdict(n2, 'outbound'), faults.verdict(n2, 'outbound')]).toEqual(['drop', 'pass']);
    expect(faults.verdict(n2, 'inbound')).toBe('pass');
    faults.setDelay(n2, 30, 'both');
    expect(faults.verdict(n2, 'inbound')).toBe(30);
    faults.setBlackhole(n2, true, 'inbound');
    expect(faults.verdict(n2, 'inbound')).toBe('drop');
    faults.clear(n2);
    expect(faults.enabled).toBe(false);
  });
});

describe('PeerHealth', () => {
  it('fires once per outage, from whichever direction breaks first, not for replaced inbound streams', () => {
    const fired: string[] = [];
    const health = new PeerHealth((peer) => fired.push(peer));
    health.outboundDown(n2); // never up: silent
    health.outboundUp(n2);
    health.inboundUp(n2);
    health.inboundUp(n2); // a reconnect seen before the old stream's close
    health.inboundDown(n2); // the old one closes: still one open
    expect(fired).toEqual([]);
    health.inboundDown(n2);
    health.outboundDown(n2);
    expect(fired).toEqual(['n2']);
    health.outboundUp(n2);
    health.forget(n2);
    health.outboundDown(n2);
    expect(fired).toEqual(['n2']);
  });
});

describe('config', () => {
  it('names the invalid field', () => {
    const base = { selfId: n1, peers: new Map([[n2, '127.0.0.1:1']]) };
    expect(() => resolveTransportConfig({ ...base, queueCountMax: 0 })).toThrow(TransportConfigError);
    expect(() => resolveTransportConfig({ ...base, batchBytesMax: 64 << 20 })).toThrow(/batchBytesMax/);
    expect(() => resolveTransportConfig({ ...base, peers: new Map([[n2, 'nope']]) })).toThrow(/peers\[n2\].*host:port/);
    expect(() => resolveTransportConfig({ ...base, peers: new Map([[n1, '127.0.0.1:1']]) })).toThrow(/selfId/);
    expect(resolveTransportConfig(base).queueCountMax).toBe(4096);
  });
});

describe('OutboundQueue under a stalled peer and a stream of control messages', () => {
  it('keeps its backing array bounded while evictions and refills alternate (no take)', () => {
    const countMax = 50;
    const q = new OutboundQueue(countMax, 10_000);
    let dropped = 0;
    let slotsMax = 0;
    let countPeak = 0;
    let bytesPeak = 0;
    for (let i = 0; i < 6000; i++) {
      const incoming = i % 3 === 0 ? item(MessageType.Heartbeat, 10, i) : item(MessageType.App, 150 + (i % 7) * 50, i);
      dropped += q.push(incoming).length;
      slotsMax = Math.max(slotsMax, q.slotCount);
      countPeak = Math.max(countPeak, q.count);
      bytesPeak = Math.max(bytesPeak, q.bytes);
    }
    expect(dropped).toBeGreaterThan(3000);
    expect(countPeak).toBeLessThanOrEqual(countMax);
    expect(bytesPeak).toBeLessThanOrEqual(10_000);
    expect(slotsMax).toBeLessThanOrEqual(2 * countMax + 2);
    const queued = q.count;
    const all = q.take({ bytesMax: 1e9, messagesMax: 1e6, entriesMax: 1e6 });
    expect(all.messageCount).toBe(queued);
    expect([q.count, q.bytes, q.slotCount]).toEqual([0, 0, 0]);
  });
});
