/**
 * Goal: the framed snapshot byte stream is cut back into exactly the chunks
 * that were framed, whatever pieces the transport delivers it in (a split
 * inside a frame header included), and a corrupt stream (checksum, a length
 * beyond the limit, an end inside a frame) is a named SnapshotFrameError.
 * Method: frame pseudo-random chunks with frameChunks(), re-cut the bytes at
 * seeded random points, and compare what FrameReader returns.
 */
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import type { SnapshotChunk } from '../../src/fsm/index.js';
import { FRAME_BYTES_MAX, FrameReader, frameChunks, SnapshotFrameError } from '../../src/server/snapshot-io.js';
import { Rand } from '../fsm/helpers.js';

function chunk(bytes: number, seed: number): SnapshotChunk {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + seed * 7) & 0xff;
  return { data, crc32c: crc32c(data) };
}

async function framed(chunks: SnapshotChunk[]): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of frameChunks((async function* () { yield* chunks; })())) pieces.push(piece);
  return Buffer.concat(pieces);
}

describe('FrameReader', () => {
  it('returns the framed chunks whatever pieces the bytes arrive in', async () => {
    const chunks = [chunk(0, 1), chunk(1, 2), chunk(5000, 3), chunk(7, 4), chunk(70_000, 5)];
    const stream = await framed(chunks);
    const rand = new Rand(42);
    for (let round = 0; round < 50; round++) {
      const reader = new FrameReader();
      const got: SnapshotChunk[] = [];
      for (let at = 0; at < stream.length; ) {
        const size = round === 0 ? 1 : 1 + rand.int(round % 2 === 0 ? 16 : 20_000);
        got.push(...reader.push(stream.subarray(at, at + size)));
        at += size;
      }
      reader.end();
      expect(reader.bytesSeen).toBe(stream.length);
      expect(got.map((c) => [Buffer.from(c.data).toString('hex'), c.crc32c])).toEqual(
        chunks.map((c) => [Buffer.from(c.data).toString('hex'), c.crc32c]),
      );
    }
  });

  it('names a checksum mismatch, an oversized frame and a stream ending inside a frame', async () => {
    const stream = await framed([chunk(100, 1), chunk(100, 2)]);
    const flipped = Buffer.from(stream);
    flipped[108 + 8 + 50] ^= 1; // inside the second chunk's data
    const reader = new FrameReader();
    expect(reader.push(flipped.subarray(0, 108))).toHaveLength(1);
    expect(() => reader.push(flipped.subarray(108))).toThrow(/checksum mismatch in frame at byte 108/);

    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(FRAME_BYTES_MAX + 1, 0);
    expect(() => new FrameReader().push(huge)).toThrow(SnapshotFrameError);

    const cut = new FrameReader();
    cut.push(stream.subarray(0, stream.length - 1));
    expect(() => cut.end()).toThrow(/stream ended 107 bytes into a frame at byte 108/);
  });
});
