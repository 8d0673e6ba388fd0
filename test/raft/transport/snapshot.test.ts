// Goal: snapshots stream in chunks and arrive byte-identical; every failure
// (bad CRC, offset gap, missing header, size limits on either side, sink
// failure, source failure, stalled source, receiver idle timeout, a second
// concurrent transfer) ends as a named error on the sender — a rejected
// promise, never a hang — and aborts the receiver's sink writer.
// Method: two PeerTransports on 127.0.0.1; crafted chunk streams go through a
// raw gRPC client using the same service definition.
import * as grpc from '@grpc/grpc-js';
import { crc32c } from '@node-rs/crc32';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, type Message } from '../../../src/raft/core/types.js';
import type { SnapshotAck } from '../../../src/gen/edgernetes/raft/v1/raft.js';
import {
  SnapshotInProgressError,
  SnapshotRejectedError,
  SnapshotSourceError,
  SnapshotTimeoutError,
  SnapshotTooLargeError,
} from '../../../src/raft/transport/errors.js';
import {
  SEND_SNAPSHOT_PATH,
  callMetadata,
  decodeSnapshotAck,
  identityBytes,
} from '../../../src/raft/transport/grpc-service.js';
import { reasonFromProto } from '../../../src/raft/transport/snapshot-reasons.js';
import { encodeSnapshotChunk } from '../../../src/raft/transport/wire-encode.js';
import { resolveTransportConfig } from '../../../src/raft/transport/config.js';
import {
  chunksOf,
  connectAll,
  createNode,
  everyMessageType,
  pseudoRandomBytes,
  sleep,
  stopAll,
  waitFor,
  type NodeOptions,
  type TestNode,
} from './helpers.js';

const MIB = 1 << 20;
let nodes: TestNode[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

async function pair(aOptions: NodeOptions = {}, bOptions: NodeOptions = {}): Promise<[TestNode, TestNode]> {
  const a = await createNode('n1', aOptions);
  const b = await createNode('n2', bOptions);
  nodes = [a, b];
  await connectAll(nodes);
  return [a, b];
}

function snapMessage(a: TestNode, b: TestNode): Message {
  return everyMessageType(a.id, b.id).find((m) => m.type === MessageType.Snap)!;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('snapshot transfer', () => {
  it('streams several MiB in chunks and reassembles them byte-identical', async () => {
    const chunkBytes = 256 * 1024;
    const [a, b] = await pair({ config: { snapshotChunkBytes: chunkBytes } });
    const data = pseudoRandomBytes(6 * MIB + 12_345, 99);
    const started = performance.now();
    const result = await a.transport.sendSnapshot(snapMessage(a, b), chunksOf(data, 100_003));
    const elapsedMs = performance.now() - started;
    console.log(`snapshot: ${data.length} B in ${result.chunks} chunks, ${elapsedMs.toFixed(0)} ms (${(data.length / MIB / (elapsedMs / 1000)).toFixed(0)} MiB/s)`);
    expect(result.bytes).toBe(data.length);
    expect(result.chunks).toBeGreaterThanOrEqual(Math.ceil(data.length / chunkBytes));
    expect(b.sink.finished).toHaveLength(1);
    expect(Buffer.from(b.sink.finished[0].bytes).equals(Buffer.from(data))).toBe(true);
    expect(b.recorder.messages.map((m) => m.type)).toEqual([MessageType.Snap]);
    expect(a.transport.stats().peers[b.id]).toMatchObject({ snapshotsSent: 1, snapshotBytesSent: data.length });
    expect(b.transport.stats().peers[a.id]).toMatchObject({ snapshotsReceived: 1, snapshotBytesReceived: data.length });
  });

  it('answers the sender once the delivered snapshot is installed, and sink-failed if that fails', async () => {
    const [a, b] = await pair({}, { config: { snapshotIdleTimeoutMs: 200 } });
    let open!: () => void;
    b.recorder.install = () => new Promise<void>((resolve) => (open = resolve));
    let settled = false;
    const sending = a.transport.sendSnapshot(snapMessage(a, b), chunksOf(pseudoRandomBytes(100_000, 3), 10_000));
    void sending.finally(() => (settled = true)).catch(() => {});
    await waitFor('snapshot delivered', () => b.recorder.messages.length === 1);
    await sleep(400); // longer than the receiver's idle limit: installing is not idling
    expect(settled).toBe(false);
    open();
    expect((await sending).bytes).toBe(100_000);

    b.recorder.install = async () => {
      throw new Error('restore failed');
    };
    const failed = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), chunksOf(pseudoRandomBytes(1000, 4), 100)));
    expect(failed).toBeInstanceOf(SnapshotRejectedError);
    expect((failed as SnapshotRejectedError).reason).toBe('sink-failed');
    expect(failed.message).toMatch(/restore failed/);
  });

  it('sends an empty snapshot as header plus one empty last chunk', async () => {
    const [a, b] = await pair();
    const result = await a.transport.sendSnapshot(snapMessage(a, b), chunksOf(new Uint8Array(0), 1));
    expect(result.bytes).toBe(0);
    expect(b.sink.finished[0].bytes.length).toBe(0);
  });

  it('rejects a chunk with a bad CRC-32C, an offset gap, and a stream without header', async () => {
    const [a, b] = await pair();
    const header = snapMessage(a, b);
    const good = pseudoRandomBytes(1000, 5);
    const badCrc = await rawTransfer(a, b, [
      { header, offset: 0, data: new Uint8Array(0), crc32c: 0, last: false },
      { header: null, offset: 0, data: good, crc32c: crc32c(good) ^ 1, last: true },
    ]);
    expect(badCrc).toMatchObject({ accepted: false, reason: 'checksum' });
    const gap = await rawTransfer(a, b, [
      { header, offset: 0, data: good, crc32c: crc32c(good), last: false },
      { header: null, offset: 1001, data: good, crc32c: crc32c(good), last: true },
    ]);
    expect(gap).toMatchObject({ accepted: false, reason: 'offset', receivedBytes: 1000 });
    const headless = await rawTransfer(a, b, [{ header: null, offset: 0, data: good, crc32c: crc32c(good), last: true }]);
    expect(headless).toMatchObject({ accepted: false, reason: 'invalid' });
    const truncated = await rawTransfer(a, b, [{ header, offset: 0, data: good, crc32c: crc32c(good), last: false }]);
    expect(truncated).toMatchObject({ accepted: false, reason: 'incomplete' });
    expect(b.sink.finished).toHaveLength(0);
    expect(b.sink.aborted).toHaveLength(3); // the headless one never opened a writer
    expect(b.recorder.messages).toHaveLength(0);
    expect(b.transport.stats().peers[a.id].snapshotReceiveFailures).toBe(4);
  });

  it('enforces the size limit on the sender and on the receiver', async () => {
    const [a, b] = await pair({ config: { snapshotBytesMax: 1 * MIB } }, { config: { snapshotBytesMax: 2 * MIB } });
    const size = 1.5 * MIB;
    const tooBigForSender = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), chunksOf(new Uint8Array(size), 64 * 1024)));
    expect(tooBigForSender).toBeInstanceOf(SnapshotTooLargeError);
    const tooBigForReceiver = await rejectionOf(b.transport.sendSnapshot(snapMessage(b, a), chunksOf(new Uint8Array(size), 64 * 1024)));
    expect(tooBigForReceiver).toBeInstanceOf(SnapshotRejectedError);
    expect((tooBigForReceiver as SnapshotRejectedError).reason).toBe('too-large');
    await waitFor('both receivers failed', () =>
      b.transport.stats().peers[a.id].snapshotReceiveFailures === 1 && a.transport.stats().peers[b.id].snapshotReceiveFailures === 1,
    );
    expect(a.sink.aborted).toHaveLength(1);
    expect([a.sink.finished.length, b.sink.finished.length]).toEqual([0, 0]);
  });

  it('reports a failing sink and a failing source as named errors', async () => {
    const [a, b] = await pair();
    b.sink.failOnChunk = 2;
    const sinkFailure = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), chunksOf(new Uint8Array(3 * MIB), 256 * 1024)));
    expect(sinkFailure).toBeInstanceOf(SnapshotRejectedError);
    expect(sinkFailure.message).toMatch(/sink-failed.*disk full/);
    b.sink.failOnChunk = null;
    async function* failingSource(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1000);
      throw new Error('iterator closed under us');
    }
    const sourceFailure = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), failingSource()));
    expect(sourceFailure).toBeInstanceOf(SnapshotSourceError);
    expect((sourceFailure as SnapshotSourceError).cause).toBeInstanceOf(Error);
    // The source's failure cancels the call; the receiver may see it before or after opening its writer.
    await waitFor('receiver failed both', () => b.transport.stats().peers[a.id].snapshotReceiveFailures === 2);
    expect(b.sink.finished).toHaveLength(0);
  });

  it('times out a stalled source on the sender, and a silent sender on the receiver', async () => {
    const [a, b] = await pair({ config: { snapshotTimeoutMs: 300, snapshotIdleTimeoutMs: 150 } });
    async function* stalling(stallMs: number): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1000);
      await sleep(stallMs);
      yield new Uint8Array(1000);
    }
    const started = performance.now();
    const senderTimeout = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), stalling(3000)));
    expect(senderTimeout).toBeInstanceOf(SnapshotTimeoutError);
    expect(performance.now() - started).toBeLessThan(2500);
    await waitFor('receiver gave up too', () => b.transport.stats().peers[a.id].snapshotReceiveFailures === 1);

    const receiverTimeout = await rejectionOf(b.transport.sendSnapshot(snapMessage(b, a), stalling(1000)));
    expect(receiverTimeout).toBeInstanceOf(SnapshotRejectedError);
    expect((receiverTimeout as SnapshotRejectedError).reason).toBe('timeout');
    expect(a.sink.aborted).toHaveLength(1);
  });

  it('refuses a second concurrent transfer to the same peer', async () => {
    const [a, b] = await pair();
    const first = a.transport.sendSnapshot(snapMessage(a, b), chunksOf(pseudoRandomBytes(2 * MIB, 1), 64 * 1024));
    const second = await rejectionOf(a.transport.sendSnapshot(snapMessage(a, b), chunksOf(new Uint8Array(10), 10)));
    expect(second).toBeInstanceOf(SnapshotInProgressError);
    await expect(first).resolves.toMatchObject({ bytes: 2 * MIB });
  });

  it('supersedes an older inbound transfer from the same peer', async () => {
    const [a, b] = await pair();
    const header = snapMessage(a, b);
    const part = pseudoRandomBytes(100, 2);
    const older = openRawTransfer(a, b);
    older.write({ header, offset: 0, data: part, crc32c: crc32c(part), last: false });
    await waitFor('older transfer begun', () => b.sink.begun === 1);
    const newer = await rawTransfer(a, b, [{ header, offset: 0, data: part, crc32c: crc32c(part), last: true }]);
    expect(newer).toMatchObject({ accepted: true, receivedBytes: 100 });
    await expect(older.result).resolves.toMatchObject({ accepted: false, reason: 'superseded' });
    expect(b.sink.aborted).toHaveLength(1);
    expect(b.sink.finished).toHaveLength(1);
  });
});

interface RawChunk {
  header: Message | null;
  offset: number;
  data: Uint8Array;
  crc32c: number;
  last: boolean;
}

interface RawOutcome {
  accepted: boolean;
  reason: string;
  receivedBytes: number;
}

/** A SendSnapshot call from `from` to `to` through a bare gRPC client. */
function openRawTransfer(from: TestNode, to: TestNode): { write(chunk: RawChunk): void; end(): void; result: Promise<RawOutcome> } {
  const client = new grpc.Client(to.address, grpc.credentials.createInsecure());
  const config = resolveTransportConfig({ selfId: from.id, peers: new Map() });
  let call!: grpc.ClientWritableStream<Buffer>;
  const result = new Promise<RawOutcome>((resolve, reject) => {
    call = client.makeClientStreamRequest<Buffer, SnapshotAck>(
      SEND_SNAPSHOT_PATH, identityBytes, decodeSnapshotAck, callMetadata(config, to.id), {},
      (err, ack) => {
        client.close();
        if (err) reject(err);
        else resolve({ accepted: ack!.accepted, reason: reasonFromProto(ack!.rejectReason), receivedBytes: ack!.receivedBytes });
      },
    );
  });
  return { write: (chunk) => call.write(encodeSnapshotChunk(chunk)), end: () => call.end(), result };
}

async function rawTransfer(from: TestNode, to: TestNode, chunks: RawChunk[]): Promise<RawOutcome> {
  const transfer = openRawTransfer(from, to);
  for (const chunk of chunks) transfer.write(chunk);
  transfer.end();
  return transfer.result;
}
