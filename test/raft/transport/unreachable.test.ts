// Goal: the "connection to a peer broke" signal fires promptly and once per
// outage — when the peer's transport stops, and when the peer's process is
// killed with SIGKILL (the crash-failover case) — and the sender reconnects
// by itself (backoff) once the peer is back, after which messages flow again.
// Method: real gRPC on 127.0.0.1; a restarted peer reuses its port; the crash
// case runs the peer in a child process and kill -9s it. Latencies are
// printed, not asserted (shared CI machines).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, nodeId } from '../../../src/raft/core/types.js';
import { connectAll, connectedPair, createNode, heartbeat, stopAll, waitFor, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
let child: ChildProcess | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  await stopAll(nodes);
  nodes = [];
});

describe('peer unreachable signal and reconnect', () => {
  it('fires once when the peer stops, then reconnects to the restarted peer', async () => {
    const [a, b] = (nodes = await connectedPair());

    const stoppedAt = performance.now();
    await b.transport.stop();
    await waitFor('unreachable fired', () => a.recorder.unreachable.length > 0);
    console.log(`unreachable after graceful stop: ${(a.recorder.unreachable[0].atMs - stoppedAt).toFixed(1)} ms`);
    expect(a.recorder.unreachable.map((u) => u.peer)).toEqual([b.id]);

    const b2 = await createNode('n2', { port: b.port });
    nodes = [a, b2];
    await b2.transport.addPeer(a.id, a.address);
    b2.transport.start();
    await waitFor('reconnected', () => {
      const s = a.transport.stats().peers[b2.id];
      return s.outboundConnected && s.inboundStreams > 0;
    });
    const stats = a.transport.stats().peers[b2.id];
    expect(stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(stats.connectAttempts).toBeGreaterThan(stats.reconnects);
    a.transport.send([heartbeat(a.id, b2.id, 42)]);
    await waitFor('message after reconnect', () => b2.recorder.messages.length === 1);
    expect(b2.recorder.messages[0]).toMatchObject({ type: MessageType.Heartbeat, commit: 42 });
    expect(a.recorder.unreachable).toHaveLength(1); // one outage, one signal
  });

  it('reconnects at once when the restarted peer reaches us, not after its reconnect backoff', async () => {
    const slowBackoff = { reconnectBackoffInitialMs: 4_000, reconnectBackoffMaxMs: 8_000 };
    const a = await createNode('n1', { config: slowBackoff });
    const b = await createNode('n2');
    nodes = [a, b];
    await connectAll([a, b]);
    await b.transport.stop();
    // a's next attempt fails and it backs off for 4-8 s.
    await waitFor('a failed to reconnect once', () => a.transport.stats().peers[b.id]!.connectAttempts >= 2);
    const b2 = await createNode('n2', { port: b.port });
    nodes = [a, b2];
    await b2.transport.addPeer(a.id, a.address);
    const startedMs = performance.now();
    b2.transport.start(); // b2 opens its stream into a at once
    await waitFor('a connected to the restarted peer', () => a.transport.stats().peers[b2.id]!.outboundConnected, 3_000);
    console.log(`reconnected ${(performance.now() - startedMs).toFixed(0)} ms after the peer came back (backoff was >= 4,000 ms)`);
    expect(a.transport.stats().peers[b2.id]!.reconnectsOnPeerReturn).toBeGreaterThanOrEqual(1);
    a.transport.send([heartbeat(a.id, b2.id, 7)]);
    await waitFor('message after reconnect', () => b2.recorder.messages.length === 1);
  });

  it('fires when the peer process is killed with SIGKILL', async () => {
    const a = await createNode('n1');
    nodes = [a];
    const fixture = fileURLToPath(new URL('./fixtures/peer-process.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', fixture, 'n2', 'n1', a.address], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const port = await firstLinePort(child);
    const peer = nodeId('n2');
    await a.transport.addPeer(peer, `127.0.0.1:${port}`);
    a.transport.start();
    await waitFor('both directions up', () => {
      const s = a.transport.stats().peers[peer];
      return s.outboundConnected && s.inboundStreams > 0;
    }, 10_000);

    const killedAt = performance.now();
    child.kill('SIGKILL');
    await waitFor('unreachable fired', () => a.recorder.unreachable.length > 0, 5000);
    const latencyMs = a.recorder.unreachable[0].atMs - killedAt;
    console.log(`unreachable after SIGKILL of the peer process: ${latencyMs.toFixed(1)} ms`);
    expect(a.recorder.unreachable.map((u) => u.peer)).toEqual([peer]);
    expect(a.transport.stats().peers[peer].unreachableSignals).toBe(1);
  });
});

/** Reads {"port": N} from the child's first stdout line (bounded wait). */
function firstLinePort(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not report its port within 20 s')), 20_000);
    proc.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
}
