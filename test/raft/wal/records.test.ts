// Goal: the hand-written record codec round-trips every record type exactly and
// the append planner packs entries into records within the configured bound.
// Method: encode into a buffer, read the frame back through the same header and
// checksum functions the scanner uses, decode, compare field by field.
import { describe, expect, it } from 'vitest';
import { planAppend } from '../../../src/raft/wal/append-plan.js';
import { WalTooLargeError } from '../../../src/raft/wal/errors.js';
import {
  bodyChecksumMatches,
  readRecordHeader,
  RECORD_HEADER_BYTES,
  RecordType,
} from '../../../src/raft/wal/format.js';
import { decodeBody, encodeRecord, planExtentBytes, type RecordPlan } from '../../../src/raft/wal/records.js';
import { EntryType, logIndex, term } from '../../../src/raft/core/types.js';
import { entries, hardState } from './helpers.js';

function roundTrip(plan: RecordPlan) {
  const extent = planExtentBytes(plan);
  const buf = Buffer.alloc(extent + 64, 0xee);
  const end = encodeRecord(buf, 8, plan, 8);
  expect(end).toBe(8 + extent);
  expect(end % 8).toBe(0);
  const header = readRecordHeader(buf, 8);
  expect(header).not.toBeNull();
  expect(header!.batchStart).toBe(8);
  expect(bodyChecksumMatches(buf, 8, header!)).toBe(true);
  expect(buf.subarray(8 + RECORD_HEADER_BYTES + header!.bodyBytes, end).every((b) => b === 0)).toBe(true);
  const body = buf.subarray(8 + RECORD_HEADER_BYTES, 8 + RECORD_HEADER_BYTES + header!.bodyBytes);
  return decodeBody(header!.type, body, 'f', 8);
}

describe('record codec', () => {
  it('round-trips an entries run, including empty data and conf-change entries', () => {
    const list = entries(7, 11, 3, 40);
    list[1] = { ...list[1]!, data: new Uint8Array(0) };
    list[2] = { ...list[2]!, type: EntryType.ConfChange };
    const decoded = roundTrip({ type: RecordType.Entries, entries: list, from: 1, to: 5 });
    expect(decoded.type).toBe(RecordType.Entries);
    if (decoded.type !== RecordType.Entries) return;
    expect(decoded.entries).toEqual(list.slice(1, 5).map((e) => ({ ...e, data: new Uint8Array(e.data) })));
  });

  it('round-trips hard states with and without a vote (UTF-8 node ids)', () => {
    for (const hs of [hardState(9, 4, 'n1'), hardState(2 ** 40, 2 ** 45, 'nœud-é'), hardState(0, 0, null)]) {
      const decoded = roundTrip({ type: RecordType.HardState, hardState: hs });
      expect(decoded).toMatchObject({ type: RecordType.HardState, hardState: hs });
    }
  });

  it('round-trips a snapshot marker with indexes beyond 32 bits', () => {
    const decoded = roundTrip({ type: RecordType.Snapshot, index: 2 ** 50 + 3, term: 2 ** 33 });
    expect(decoded).toMatchObject({ type: RecordType.Snapshot, index: 2 ** 50 + 3, term: 2 ** 33 });
  });

  it('detects a changed body byte and a changed header byte', () => {
    const plan: RecordPlan = { type: RecordType.Entries, entries: entries(1, 2), from: 0, to: 2 };
    const buf = Buffer.alloc(planExtentBytes(plan) + 8);
    encodeRecord(buf, 0, plan, 32);
    buf[RECORD_HEADER_BYTES + 3] ^= 0x10;
    expect(bodyChecksumMatches(buf, 0, readRecordHeader(buf, 0)!)).toBe(false);
    buf[5] ^= 0x01;
    expect(readRecordHeader(buf, 0)).toBeNull();
  });
});

describe('append planner', () => {
  it('packs entries into runs no larger than the body bound, then the hard state', () => {
    const list = entries(1, 100, 1, 100); // 113 bytes each encoded
    const { plans, bytes } = planAppend(list, hardState(1, 0), 1000);
    const runs = plans.filter((p) => p.type === RecordType.Entries);
    expect(runs.length).toBe(Math.ceil(100 / Math.floor((1000 - 12) / 113)));
    expect(plans[plans.length - 1]!.type).toBe(RecordType.HardState);
    let next = 0;
    for (const run of runs) {
      if (run.type !== RecordType.Entries) continue;
      expect(run.from).toBe(next);
      next = run.to;
      expect(planExtentBytes(run)).toBeLessThanOrEqual(1000 + RECORD_HEADER_BYTES + 7);
    }
    expect(next).toBe(100);
    expect(bytes).toBe(plans.reduce((sum, p) => sum + planExtentBytes(p), 0));
  });

  it('refuses one entry larger than a record body with a named error', () => {
    const big = { index: logIndex(1), term: term(1), type: EntryType.Normal, data: new Uint8Array(2000) };
    expect(() => planAppend([big], null, 1000)).toThrow(WalTooLargeError);
  });
});
