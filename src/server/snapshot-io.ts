/**
 * Moving state-machine snapshots between replicas.
 *
 * Sender (leader): the state machine's point-in-time chunks are framed into a
 * byte stream — [u32 length][u32 crc32c][chunk data] per chunk — that the peer
 * transport carries in its own verified pieces.
 *
 * Receiver (follower): the transport's SnapshotSink parses the frames as the
 * bytes arrive and feeds each chunk to a RestoreBuild, which writes a new
 * database beside the live one while the transfer goes on (so receiving and
 * building overlap; nothing is held whole in memory). On the last byte the
 * build is verified and closed; the driver installs it — only when its core
 * would accept the snapshot — with StateMachine.installRestore, which swaps it
 * in. A crash before the swap leaves only a partial build, which the state
 * machine discards when it opens.
 *
 * The state machine streams its current applied state, which is at or past
 * the log snapshot the leader's core names in its Snap message (the last
 * compaction point). The message is sent naming what the data holds instead
 * (namingSource): the follower's log then starts where its data ends, and the
 * leader goes on from there, rather than sending again the entries between
 * its compaction point and the data (thousands, at 10,000 entries between
 * compactions). The core's own tracking is unaffected: the follower answers
 * with its new last index, which the leader takes as its match.
 */
import { crc32c } from '@node-rs/crc32';
import type { Message, NodeId } from '../raft/core/types.js';
import type { IncomingSnapshot, SnapshotSink, SnapshotWriter } from '../raft/transport/index.js';
import {
  SnapshotAbortedError,
  SnapshotOutdatedError,
  type RestoreBuild,
  type SnapshotChunk,
  type SnapshotSource,
  type StateMachine,
} from '../fsm/index.js';
import { assert } from '../raft/core/errors.js';
import { asBuffer } from '../util/bytes.js';

const FRAME_HEADER_BYTES = 8;
/** A single framed chunk larger than this is corrupt (the state machine's chunks are a few MiB at most). */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class SnapshotFrameError extends Error {
  constructor(message: string) {
    super(`snapshot stream: ${message}`);
    this.name = 'SnapshotFrameError';
  }
}

/**
 * `message` (a Snap from the core) naming the snapshot `source` holds: its
 * applied index, that entry's term, and the membership as of it. The source
 * is never older than the core's log snapshot (the log is compacted only up
 * to what the state machine applied).
 */
export function namingSource(message: Message, source: SnapshotSource): Message {
  const named = message.snapshot?.metadata;
  assert(named !== undefined, 'a Snap message carries snapshot metadata');
  assert(source.index >= named.index, `state machine snapshot ${source.index} is older than the log snapshot ${named.index}`);
  const metadata = { index: source.index, term: source.term, confState: source.confState };
  return { ...message, snapshot: { metadata, data: new Uint8Array(0) } };
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

/**
 * Cuts the framed byte stream back into chunks, whatever the pieces it
 * arrives in, verifying each chunk's checksum. Holds at most one incomplete
 * frame (bounded by FRAME_BYTES_MAX), as the pieces received, and joins them
 * only once the frame is complete (not at every piece, which would copy a
 * large frame over and over when it arrives in small pieces).
 */
export class FrameReader {
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  /** Header plus data of the incomplete frame, once its header has arrived. */
  private frameBytes: number | null = null;
  private consumedBytes = 0;

  /** Bytes taken so far (complete frames and the incomplete one). */
  get bytesSeen(): number {
    return this.consumedBytes + this.pendingBytes;
  }

  /** The chunks completed by `bytes`, in order. Throws SnapshotFrameError on a corrupt frame. */
  push(bytes: Uint8Array): SnapshotChunk[] {
    if (bytes.byteLength === 0) return [];
    this.pieces.push(asBuffer(bytes));
    this.pendingBytes += bytes.byteLength;
    const chunks: SnapshotChunk[] = [];
    for (;;) {
      if (this.frameBytes === null) {
        if (this.pendingBytes < FRAME_HEADER_BYTES) break;
        this.frameBytes = FRAME_HEADER_BYTES + this.frameLength();
      }
      if (this.pendingBytes < this.frameBytes) break;
      chunks.push(this.takeFrame(this.frameBytes));
      this.frameBytes = null;
    }
    return chunks;
  }

  /** The stream ended: throws SnapshotFrameError if it stopped inside a frame. */
  end(): void {
    if (this.pendingBytes > 0) {
      throw new SnapshotFrameError(`stream ended ${this.pendingBytes} bytes into a frame at byte ${this.consumedBytes}`);
    }
  }

  /** The data length in the header at the front of the pending bytes. */
  private frameLength(): number {
    if (this.pieces[0]!.length < FRAME_HEADER_BYTES) this.pieces = [Buffer.concat(this.pieces)];
    const length = this.pieces[0]!.readUInt32BE(0);
    if (length > FRAME_BYTES_MAX) {
      throw new SnapshotFrameError(`frame of ${length} bytes at byte ${this.consumedBytes} exceeds ${FRAME_BYTES_MAX}`);
    }
    return length;
  }

  /** Removes the first `frameBytes` pending bytes (one whole frame) and verifies its chunk. */
  private takeFrame(frameBytes: number): SnapshotChunk {
    const joined = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces);
    const rest = joined.subarray(frameBytes);
    this.pieces = rest.length > 0 ? [rest] : [];
    this.pendingBytes -= frameBytes;
    const crc = joined.readUInt32BE(4);
    const data = joined.subarray(FRAME_HEADER_BYTES, frameBytes);
    if (crc32c(data) >>> 0 !== crc) throw new SnapshotFrameError(`checksum mismatch in frame at byte ${this.consumedBytes}`);
    this.consumedBytes += frameBytes;
    return { data, crc32c: crc };
  }
}

/**
 * The transport's SnapshotSink: restores each incoming transfer into a new
 * database as it arrives. One build at a time (the state machine's): a newer
 * transfer supersedes an older one, whose next write then fails.
 */
export class RestoringSnapshotSink implements SnapshotSink {
  /** The finished build of the last completed transfer, until installed or superseded. */
  private built: { readonly from: NodeId; readonly index: number; readonly build: RestoreBuild } | null = null;

  constructor(private readonly stateMachine: StateMachine) {}

  async begin(snapshot: IncomingSnapshot): Promise<SnapshotWriter> {
    const build = await this.stateMachine.beginRestore();
    const frames = new FrameReader();
    return {
      writeChunk: async (data: Uint8Array, offset: number): Promise<void> => {
        assert(offset === frames.bytesSeen, `the transport checks offsets: got ${offset}, expected ${frames.bytesSeen}`);
        for (const chunk of frames.push(data)) await build.add(chunk);
      },
      finish: async (): Promise<void> => {
        frames.end();
        await build.finish();
        this.built = { from: snapshot.from, index: snapshot.metadata.index, build };
      },
      abort: async (): Promise<void> => {
        await this.stateMachine.dropRestore(build);
      },
    };
  }

  /**
   * Swaps in the build of the transfer that carried `message`; false if there
   * is none (superseded, or never completed) or the state machine is already
   * at or past it.
   */
  async install(message: Message): Promise<boolean> {
    const index = message.snapshot?.metadata.index;
    const built = this.built;
    if (index === undefined || built === null || built.from !== message.from || built.index !== index) return false;
    this.built = null;
    try {
      await this.stateMachine.installRestore(built.build);
      return true;
    } catch (err) {
      if (err instanceof SnapshotAbortedError || err instanceof SnapshotOutdatedError) return false;
      throw err;
    }
  }
}
