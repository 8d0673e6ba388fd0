/**
 * Test helpers for the state machine: temp directories, a log builder that
 * makes Raft entries out of commands, and full dumps of a database for
 * byte-for-byte comparisons.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { expect } from 'vitest';
import { encodeConfChange } from '../../src/raft/core/confchange-codec.js';
import { EntryType, logIndex, term, type ConfChange, type Entry } from '../../src/raft/core/types.js';
import { encodeCommand } from '../../src/fsm/codec.js';
import type { Op } from '../../src/fsm/commands.js';
import type { ApplyResult, OpResult } from '../../src/fsm/results.js';
import type { Rejection } from '../../src/fsm/errors.js';
import { StateMachine } from '../../src/fsm/state-machine.js';
import type { StateMachineOptions } from '../../src/fsm/config.js';
import type { ModelSpec, NodeRegistration } from '../../src/fsm/types.js';

/** Temp directories created by a test file, removed by cleanupDirs(). */
const dirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgernetes-fsm-'));
  dirs.push(dir);
  return dir;
}

export async function cleanupDirs(): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Open state machines, closed by closeAll(). */
const open: StateMachine[] = [];

export async function openFsm(dir?: string, options: StateMachineOptions = {}): Promise<StateMachine> {
  const sm = await StateMachine.open(dir ?? (await tempDir()), options);
  open.push(sm);
  return sm;
}

export async function closeAll(): Promise<void> {
  for (const sm of open.splice(0)) await sm.close().catch(() => undefined);
}

/** Builds consecutive log entries. */
export class Log {
  index = 0;
  term = 1;

  constructor(start = 0) {
    this.index = start;
  }

  private next(type: EntryType, data: Uint8Array): Entry {
    this.index += 1;
    return { index: logIndex(this.index), term: term(this.term), type, data };
  }

  /** An entry carrying `op`; clientId '' means no session. */
  cmd(op: Op, clientId = '', seq = 0): Entry {
    return this.next(EntryType.Normal, encodeCommand({ v: 1, clientId, seq, op }));
  }

  raw(data: Uint8Array, type: EntryType = EntryType.Normal): Entry {
    return this.next(type, data);
  }

  noop(): Entry {
    return this.next(EntryType.Normal, new Uint8Array(0));
  }

  conf(change: ConfChange): Entry {
    return this.next(EntryType.ConfChange, encodeConfChange(change));
  }
}

/** Applies one entry and returns its result. */
export async function applyOne(sm: StateMachine, entry: Entry): Promise<ApplyResult> {
  const [result] = await sm.apply([entry]);
  return result!;
}

/** The op result of an applied entry (fails the test otherwise). */
export function applied(result: ApplyResult): OpResult {
  if (result.outcome.status !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(result.outcome)}`);
  return result.outcome.result;
}

/** The rejection of an entry (fails the test otherwise). */
export function rejected(result: ApplyResult): Rejection {
  if (result.outcome.status !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(result.outcome)}`);
  return result.outcome.rejection;
}

export function expectRejected(result: ApplyResult, code: Rejection['code'], field?: string): Rejection {
  const r = rejected(result);
  expect(r.code).toBe(code);
  if (field !== undefined) expect(r.field).toBe(field);
  return r;
}

/** Every key/value of the database in `dir` (closed), as hex pairs. */
export async function dumpDir(dir: string): Promise<[string, string][]> {
  const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'db'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const out: [string, string][] = [];
    for await (const [key, value] of db.iterator()) out.push([key.toString('hex'), value.toString('hex')]);
    return out;
  } finally {
    await db.close();
  }
}

export const SHA = 'a'.repeat(64);

export function nodeReg(id: string, overrides: Partial<NodeRegistration> = {}): NodeRegistration {
  return {
    id,
    name: `node ${id}`,
    address: '10.0.0.1:7000',
    labels: { zone: 'a' },
    capabilities: {
      cpu: { model: 'Cortex-A76', arch: 'arm64', cores: 8, flags: ['neon', 'fp16'] },
      memoryBytes: 8 * 1024 ** 3,
      accelerators: [{ kind: 'npu', vendor: 'rockchip', model: 'rk3588', memoryBytes: 0, tops: 6 }],
      executionProviders: ['CPUExecutionProvider'],
      computeScore: 100,
    },
    ...overrides,
  };
}

export function modelSpec(name: string, version = '1', overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    namespace: 'default',
    name,
    version,
    artifact: { sha256: SHA, sizeBytes: 1234 },
    format: 'onnx',
    inputs: [{ name: 'input', dataType: 'float32', shape: ['batch', 3, 224, 224] }],
    outputs: [{ name: 'logits', dataType: 'float32', shape: ['batch', 1000] }],
    requirements: {
      memoryBytes: 512 * 1024 ** 2,
      accelerator: { required: [], preferred: ['npu', 'gpu'] },
      nodeSelector: {},
      tolerations: [],
    },
    desiredReplicas: 2,
    ...overrides,
  };
}

export const ref = (name: string, version = '1') => ({ namespace: 'default', name, version });

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A small seeded PRNG (mulberry32) so failures replay exactly. */
export class Rand {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}
