/**
 * State-machine micro-benchmarks (not a test; no assertions on time):
 *   1. command codec: msgpackr with records on vs off (why codec.ts uses off)
 *   2. apply throughput: kv puts at several batch sizes (one Level batch each)
 *   3. snapshot: stream + restore of a populated state
 *   4. a leader's write path: validate + encode a kv put, then apply it, with
 *      the bytes decoded and validated again (as a follower applies them) or
 *      the command held from encoding (as the leader applies its own: own-proposals.ts)
 *
 * Run: npx tsx test/fsm/bench/fsm-bench.ts [--quick] [--leader-path (only 4.)]
 * Shaped like bench/<name>.ts (`run(args)`, a table, then one JSON line of
 * figures) so it can move to bench/fsm.ts unchanged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';
import { Packr } from 'msgpackr';
import { EntryType, logIndex, term, type Entry } from '../../../src/raft/core/types.js';
import { encodeCommand } from '../../../src/fsm/codec.js';
import type { Command } from '../../../src/fsm/commands.js';
import { StateMachine } from '../../../src/fsm/state-machine.js';
import type { SnapshotChunk } from '../../../src/fsm/snapshot-format.js';

const kvCommand = (i: number, valueBytes: number): Command => ({
  v: 1,
  clientId: `bench-${i % 64}`,
  seq: Math.floor(i / 64) + 1,
  op: {
    kind: 'kv.put',
    namespace: 'bench',
    key: `key/${i % 10_000}`,
    value: new Uint8Array(valueBytes).fill(i & 0xff),
  },
});

const nodeCommand: Command = {
  v: 1,
  clientId: 'agent-1',
  seq: 9,
  op: {
    kind: 'node.register',
    timeMs: 1_700_000_000_000,
    node: {
      id: 'edge-1',
      name: 'edge one',
      address: '10.0.0.5:7000',
      labels: { rack: 'r1', zone: 'a' },
      capabilities: {
        cpu: { model: 'Cortex-A76', arch: 'arm64', cores: 8, flags: ['neon', 'fp', 'asimd', 'aes', 'sha2'] },
        memoryBytes: 8e9,
        accelerators: [{ kind: 'npu', vendor: 'rockchip', model: 'rk3588', memoryBytes: 0, tops: 6 }],
        executionProviders: ['CPUExecutionProvider'],
        computeScore: 123.5,
      },
    },
  },
};

function microseconds(iterations: number, run: () => void): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) run();
  return ((performance.now() - start) * 1000) / iterations;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Encode/decode cost with records on and off. Every variant is warmed up,
 * then the variants are measured in alternating rounds and the median kept,
 * so JIT warm-up and a noisy shared machine do not favour whichever runs first.
 */
function codecFigures(iterations: number, rounds = 7): Record<string, number> {
  const variants = [false, true].flatMap((useRecords) =>
    (
      [
        ['kv', kvCommand(1, 100)],
        ['node', nodeCommand],
      ] as const
    ).map(([name, command]) => {
      const packr = new Packr({ structuredClone: false, useRecords, mapsAsObjects: true });
      const encoded = packr.pack(command);
      // A fresh decoder, as on another replica.
      const decoder = new Packr({ structuredClone: false, useRecords, mapsAsObjects: true });
      return {
        tag: `${useRecords ? 'records' : 'plain'}_${name}`,
        bytes: encoded.byteLength,
        encode: () => packr.pack(command),
        decode: () => decoder.unpack(encoded),
        encodeUs: [] as number[],
        decodeUs: [] as number[],
      };
    }),
  );
  for (const v of variants) {
    microseconds(iterations, v.encode);
    microseconds(iterations, v.decode);
  }
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      v.encodeUs.push(microseconds(iterations, v.encode));
      v.decodeUs.push(microseconds(iterations, v.decode));
    }
  }
  const figures: Record<string, number> = {};
  for (const v of variants) {
    figures[`${v.tag}_bytes`] = v.bytes;
    figures[`${v.tag}_encode_us`] = median(v.encodeUs);
    figures[`${v.tag}_decode_us`] = median(v.decodeUs);
  }
  return figures;
}

function entries(from: number, count: number, valueBytes: number): Entry[] {
  return Array.from({ length: count }, (_, i) => ({
    index: logIndex(from + i),
    term: term(1),
    type: EntryType.Normal,
    data: encodeCommand(kvCommand(from + i - 1, valueBytes)),
  }));
}

async function applyFigures(totalEntries: number, batchSizes: readonly number[]): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const batchSize of batchSizes) {
    const dir = await mkdtemp(join(tmpdir(), 'fsm-bench-'));
    const sm = await StateMachine.open(dir);
    const log = entries(1, totalEntries, 100);
    const start = performance.now();
    for (let i = 0; i < log.length; i += batchSize) await sm.apply(log.slice(i, i + batchSize));
    const seconds = (performance.now() - start) / 1000;
    figures[`apply_batch${batchSize}_entries_per_s`] = Math.round(totalEntries / seconds);
    await sm.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

/**
 * Microseconds per write on a leader's path through the state machine: encode
 * (validate + pack) and apply one kv put per apply() call, as at one write in
 * flight, and 64 per call (9 alternating rounds; `own` measured 1-2 us faster
 * at 64 per call, 2026-11-28, about what decoding a 256 B put costs). `decoded`: apply decodes the entry's bytes;
 * `own`: the state machine encoded them (encodeProposal) and applies the
 * command it held. Alternating rounds on two state machines, median.
 */
async function leaderPathFigures(writesPerRound: number, rounds = 9): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const batchSize of [1, 64]) {
    const variants = await Promise.all(
      (['decoded', 'own'] as const).map(async (name) => {
        const dir = await mkdtemp(join(tmpdir(), 'fsm-bench-'));
        const sm = await StateMachine.open(dir);
        const encode = name === 'own' ? (c: Command) => sm.encodeProposal(c) : encodeCommand;
        return { name, dir, sm, encode, next: 1, us: [] as number[] };
      }),
    );
    const round = async (v: (typeof variants)[number]): Promise<number> => {
      const start = performance.now();
      for (let done = 0; done < writesPerRound; done += batchSize) {
        const batch: Entry[] = [];
        for (let i = 0; i < batchSize; i++, v.next++) {
          batch.push({ index: logIndex(v.next), term: term(1), type: EntryType.Normal, data: v.encode(kvCommand(v.next - 1, 256)) });
        }
        await v.sm.apply(batch);
      }
      return ((performance.now() - start) * 1000) / writesPerRound;
    };
    for (const v of variants) await round(v); // warm-up
    for (let r = 0; r < rounds; r++) for (const v of r % 2 === 0 ? variants : [...variants].reverse()) v.us.push(await round(v));
    const own = variants.find((v) => v.name === 'own')!;
    assert(own.sm.ownProposalStats.hits === own.next - 1, 'every own proposal was applied from what was held');
    for (const v of variants) {
      figures[`leader_path_batch${batchSize}_${v.name}_us`] = median(v.us);
      await v.sm.close();
      await rm(v.dir, { recursive: true, force: true });
    }
  }
  return figures;
}

async function snapshotFigures(keys: number): Promise<Record<string, number>> {
  const sourceDir = await mkdtemp(join(tmpdir(), 'fsm-bench-'));
  const targetDir = await mkdtemp(join(tmpdir(), 'fsm-bench-'));
  const source = await StateMachine.open(sourceDir);
  const log = entries(1, keys, 1000);
  for (let i = 0; i < log.length; i += 500) await source.apply(log.slice(i, i + 500));
  let start = performance.now();
  const chunks: SnapshotChunk[] = [];
  let bytes = 0;
  for await (const chunk of await source.createSnapshot()) {
    chunks.push(chunk);
    bytes += chunk.data.byteLength;
  }
  const streamSeconds = (performance.now() - start) / 1000;
  const target = await StateMachine.open(targetDir);
  start = performance.now();
  await target.restoreSnapshot(
    (async function* () {
      yield* chunks;
    })(),
  );
  const restoreSeconds = (performance.now() - start) / 1000;
  await source.close();
  await target.close();
  await rm(sourceDir, { recursive: true, force: true });
  await rm(targetDir, { recursive: true, force: true });
  return {
    snapshot_bytes: bytes,
    snapshot_chunks: chunks.length,
    snapshot_stream_mb_per_s: Math.round(bytes / 1e6 / streamSeconds),
    snapshot_restore_mb_per_s: Math.round(bytes / 1e6 / restoreSeconds),
  };
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const figures = args.includes('--leader-path') ? await leaderPathFigures(quick ? 2_000 : 10_000) : {
    ...codecFigures(quick ? 5_000 : 50_000),
    ...(await applyFigures(quick ? 5_000 : 40_000, [1, 64, 512])),
    ...(await snapshotFigures(quick ? 5_000 : 20_000)),
    ...(await leaderPathFigures(quick ? 2_000 : 10_000)),
  };
  for (const [name, value] of Object.entries(figures)) {
    console.log(`${name.padEnd(40)} ${Number.isInteger(value) ? value : value.toFixed(2)}`);
  }
  console.log(JSON.stringify(figures));
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
