/**
 * Moving state-machine snapshots between replicas.
 *
 * Sender (leader): the state machine's point-in-time chunks are framed into a
 * byte stream — [u32 length][u32 crc32c][chunk data] per chunk — that the peer
 * transport carries in its own verified pieces.
 *
 * Receiver (follower): the transport's SnapshotSink writes that byte stream to
 * a staging file (bounded memory: nothing is held whole), fsyncs it on finish,
 * and the driver installs it later — only when its core would accept the
 * snapshot — by feeding the parsed chunks to StateMachine.restoreSnapshot,
 * which builds a new database beside the live one and swaps it in.
 *
 * The data may be newer than the Snap message's metadata (the state machine
 * streams its current applied state, which is at or past the leader's log
 * snapshot). That is safe: the state machine skips entries at or below its
 * applied index, and the core keeps its own, self-consistent log position.
 */
import { open, mkdir, readdir, rm, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { Message, NodeId } from '../raft/core/types.js';
import type { IncomingSnapshot, SnapshotSink, SnapshotWriter } from '../raft/transport/index.js';
import type { SnapshotChunk, StateMachine } from '../fsm/index.js';

const FRAME_HEADER_BYTES = 8;
/** A single framed chunk larger than this is corrupt (the state machine's chunks are a few MiB at most). */
const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class SnapshotFrameError extends Error {
  constructor(message: string) {
    super(`snapshot stream: ${message}`);
    this.name = 'SnapshotFrameError';
  }
}

/** Frames state-machine chunks into the byte stream the transport sends. */
export async function* frameChunks(chunks: AsyncIterable<SnapshotChunk>): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    header.writeUInt32BE(chunk.data.byteLength, 0);
    header.writeUInt32BE(chunk.crc32c >>> 0, 4);
    yield Buffer.concat([header, chunk.data]);
  }
}

/** Parses framed chunks back from a staged file, verifying each chunk's checksum. */
export async function* readFramedChunks(path: string): AsyncIterable<SnapshotChunk> {
  const file = await open(path, 'r');
  try {
    let position = 0;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(header, 0, FRAME_HEADER_BYTES, position);
      if (bytesRead === 0) return;
      if (bytesRead < FRAME_HEADER_BYTES) throw new SnapshotFrameError(`truncated frame header at byte ${position} of ${path}`);
      const length = header.readUInt32BE(0);
      const crc = header.readUInt32BE(4);
      if (length > FRAME_BYTES_MAX) throw new SnapshotFrameError(`frame of ${length} bytes at byte ${position} exceeds ${FRAME_BYTES_MAX}`);
      const data = Buffer.allocUnsafe(length);
      const body = await file.read(data, 0, length, position + FRAME_HEADER_BYTES);
      if (body.bytesRead < length) throw new SnapshotFrameError(`truncated frame at byte ${position} of ${path}`);
      if (crc32c(data) >>> 0 !== crc) throw new SnapshotFrameError(`checksum mismatch in frame at byte ${position} of ${path}`);
      yield { data, crc32c: crc };
      position += FRAME_HEADER_BYTES + length;
    }
  } finally {
    await file.close();
  }
}

function stagedName(from: NodeId, index: number): string {
  return `${from}-${index}.snap`;
}

/**
 * The transport's SnapshotSink: stages incoming transfers under `dir`. At most
 * one staged snapshot per sender is kept (a newer one replaces it).
 */
export class StagingSnapshotSink implements SnapshotSink {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Partial transfers from before a restart are useless.
    for (const name of await readdir(this.dir)) await rm(join(this.dir, name), { force: true });
  }

  async begin(snapshot: IncomingSnapshot): Promise<SnapshotWriter> {
    const final = join(this.dir, stagedName(snapshot.from, snapshot.metadata.index));
    const temp = `${final}.partial`;
    const file: FileHandle = await open(temp, 'w');
    const dir = this.dir;
    const from = snapshot.from;
    return {
      async writeChunk(data: Uint8Array, offset: number): Promise<void> {
        await file.write(data, 0, data.byteLength, offset);
      },
      async finish(): Promise<void> {
        await file.sync();
        await file.close();
        for (const name of await readdir(dir)) {
          if (name.startsWith(`${from}-`) && name.endsWith('.snap')) await rm(join(dir, name), { force: true });
        }
        await rename(temp, final);
      },
      async abort(): Promise<void> {
        await file.close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  /** Restores `stateMachine` from the staged transfer for `message`; false if none is staged. */
  async install(message: Message, stateMachine: StateMachine): Promise<boolean> {
    const index = message.snapshot?.metadata.index;
    if (index === undefined) return false;
    const path = join(this.dir, stagedName(message.from, index));
    try {
      await stateMachine.restoreSnapshot(readFramedChunks(path));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      if ((err as Error).name === 'SnapshotOutdatedError') return false; // already at or past it
      throw err;
    } finally {
      await rm(path, { force: true });
    }
  }
}
