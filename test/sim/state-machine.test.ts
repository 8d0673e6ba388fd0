/**
 * Goal: the simulated key-value state machine applies commands exactly once
 * per client session, loses only whole unflushed batches in a crash (data and
 * applied index together), and survives a snapshot round trip with the same
 * state hash. Method: apply encoded entries directly and inspect the state.
 */
import { describe, expect, it } from 'vitest';
import { encodeConfChange } from '../../src/raft/core/confchange-codec.js';
import { ConfChangeType, EntryType, logIndex, term, type Entry } from '../../src/raft/core/types.js';
import { ABSENT, CommandOp, decodeCommand, encodeCommand } from '../../sim/kv-codec.js';
import { KvStateMachine } from '../../sim/kv.js';
import { n } from './fixtures.js';

const conf = { voters: [n(1), n(2), n(3)], learners: [] };

function command(index: number, op: CommandOp, process: number, seq: number, key: number, value: number, expected = ABSENT): Entry {
  return { index: logIndex(index), term: term(1), type: EntryType.Normal, data: encodeCommand({ op, process, seq, key, value, expected }) };
}

describe('KvStateMachine', () => {
  it('round-trips commands through the codec', () => {
    const c = { op: CommandOp.Cas, process: 70000, seq: 3, key: 2, value: 12, expected: ABSENT };
    expect(decodeCommand(encodeCommand(c))).toEqual(c);
    expect(decodeCommand(new Uint8Array())).toBeNull();
  });

  it('writes, compares-and-sets, and ignores a duplicated command of a session', () => {
    const sm = new KvStateMachine(conf);
    sm.apply(command(1, CommandOp.Write, 1, 1, 0, 10));
    const cas = sm.apply(command(2, CommandOp.Cas, 2, 1, 0, 11, 10));
    expect(cas).toMatchObject({ kind: 'command', result: true, duplicate: false });
    const failed = sm.apply(command(3, CommandOp.Cas, 2, 2, 0, 12, 10));
    expect(failed).toMatchObject({ result: false });
    const duplicate = sm.apply(command(4, CommandOp.Write, 1, 1, 0, 10));
    expect(duplicate).toMatchObject({ duplicate: true, result: true });
    expect(sm.read(0)).toBe(11);
    expect(sm.read(1)).toBeNull();
    expect(sm.appliedIndex).toBe(4);
  });

  it('a crash rolls back every unflushed apply, whole, and nothing flushed', () => {
    const sm = new KvStateMachine(conf);
    sm.apply(command(1, CommandOp.Write, 1, 1, 0, 10));
    sm.flush();
    const flushedHash = sm.stateHash();
    sm.apply(command(2, CommandOp.Write, 1, 2, 0, 20));
    sm.apply({ index: logIndex(3), term: term(1), type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: n(3) }) });
    expect(sm.conf.voters).toHaveLength(2);
    sm.crash();
    expect(sm.appliedIndex).toBe(1);
    expect(sm.read(0)).toBe(10);
    expect(sm.conf.voters).toHaveLength(3);
    expect(sm.stateHash()).toBe(flushedHash);
    // The session rolled back too: the command at seq 2 applies again.
    expect(sm.apply(command(2, CommandOp.Write, 1, 2, 0, 20))).toMatchObject({ duplicate: false });
  });

  it('installs a snapshot with the same state (hash, sessions, membership)', () => {
    const a = new KvStateMachine(conf);
    a.apply(command(1, CommandOp.Write, 5, 1, 2, 7));
    a.apply({ index: logIndex(2), term: term(1), type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddLearner, nodeId: n(4) }) });
    const b = new KvStateMachine(conf);
    b.install(a.encodeSnapshot());
    expect(b.stateHash()).toBe(a.stateHash());
    expect(b.appliedIndex).toBe(2);
    expect(b.conf.learners).toEqual([n(4)]);
    expect(b.apply(command(3, CommandOp.Write, 5, 1, 2, 7))).toMatchObject({ duplicate: true });
  });

  it('different states hash differently at one index', () => {
    const a = new KvStateMachine(conf);
    const b = new KvStateMachine(conf);
    a.apply(command(1, CommandOp.Write, 1, 1, 0, 1));
    b.apply(command(1, CommandOp.Write, 1, 1, 0, 2));
    expect(a.stateHash()).not.toBe(b.stateHash());
  });
});
