/**
 * Commands this replica encoded for proposal, by the identity of their bytes,
 * so that applying its own proposals skips decoding and validating them again.
 *
 * A leader validates every command when it encodes it (encodeCommand).
 * Without this, once the entry commits it would decode the same bytes and
 * validate them again: a second msgpack decode and field-by-field check of
 * bytes it wrote itself, ~2 us and some garbage per write. The core hands the applier the Uint8Array that was proposed (the
 * entry's data is never copied between propose and apply on the replica that
 * proposed it), so a lookup by object identity finds the validated command.
 *
 * Determinism: what apply reads from here equals what decoding the bytes
 * would give. encodeCommand packs the canonical form validateCommand
 * returns, and validateCommand(unpack(pack(c))) = c for every canonical c
 * (test/fsm/own-proposals.test.ts checks it for every op kind); byte values
 * differ only in class (a Uint8Array here, a Buffer decoded), which nothing
 * in apply distinguishes. Followers, and this replica for entries it did not
 * propose or whose record was dropped, decode as before.
 *
 * Bounded: at most `heldMax` commands and `heldBytesMax` bytes of them (as
 * encoded; a command holds its values). A command is taken (removed) when
 * applied, or forgotten when its proposal fails; one that never commits
 * anyway (appended by a leader that was then deposed) is dropped oldest
 * first once a bound is reached.
 */
import { assert } from '../raft/core/errors.js';
import { encodeCanonicalCommand } from './codec.js';
import type { Command } from './commands.js';

export class OwnProposals {
  /** Insertion order is proposal order: the first key is the oldest. */
  private readonly held = new Map<Uint8Array, Command>();
  private heldBytes = 0;
  private hitCount = 0;

  constructor(
    private readonly heldMax: number,
    private readonly heldBytesMax: number,
  ) {
    assert(Number.isSafeInteger(heldMax) && heldMax >= 1, `heldMax ${heldMax} must be a positive integer`);
    assert(Number.isSafeInteger(heldBytesMax) && heldBytesMax >= 1, `heldBytesMax ${heldBytesMax} must be a positive integer`);
  }

  /** encodeCommand (same errors), remembering the validated command for apply. */
  encode(command: Command): Uint8Array {
    const { bytes, canonical } = encodeCanonicalCommand(command);
    this.held.set(bytes, canonical);
    this.heldBytes += bytes.byteLength;
    while (this.held.size > this.heldMax || this.heldBytes > this.heldBytesMax) {
      this.remove(this.held.keys().next().value!);
    }
    return bytes;
  }

  /** The validated command proposed with exactly these bytes (the same object), removed; undefined if none. */
  take(data: Uint8Array): Command | undefined {
    const command = this.held.get(data);
    if (command === undefined) return undefined;
    this.remove(data);
    this.hitCount++;
    return command;
  }

  /** The proposal of these bytes failed: apply will decode them if they commit after all. */
  forget(data: Uint8Array): void {
    if (this.held.has(data)) this.remove(data);
  }

  private remove(data: Uint8Array): void {
    this.held.delete(data);
    this.heldBytes -= data.byteLength;
    assert(this.heldBytes >= 0 && (this.held.size > 0 || this.heldBytes === 0), 'held bytes match the held commands');
  }

  /** Commands held (proposed, not yet applied or dropped). */
  get size(): number {
    return this.held.size;
  }

  /** Bytes (as encoded) of the commands held. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Applies that used a held command instead of decoding. */
  get hits(): number {
    return this.hitCount;
  }
}
