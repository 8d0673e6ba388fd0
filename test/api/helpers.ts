/**
 * Test helpers for the API services: real in-process replicas (Replica.start,
 * gRPC on 127.0.0.1, real WAL and LevelDB in temp directories), registry
 * clients against them, sample objects, and a way to place assignments the
 * way the leader's scheduler does (the placement op is not exposed by any RPC).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status as Code, type Client, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { CallContext } from '../../src/api/call.js';
import { RegistryClient } from '../../src/client/registry.js';
import type { ModelRef as FsmModelRef } from '../../src/fsm/index.js';
import { AcceleratorKind, type DeepPartial, type NodeRegistration } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { TensorDataType, type ModelSpec } from '../../src/gen/edgernetes/api/v1/models.js';
import { parseServerConfig } from '../../src/server/config.js';
import { Replica } from '../../src/server/replica.js';

/** Every wait in these tests is bounded by this (each test stays well under 20 s). */
export const WAIT_MS_MAX = 8_000;
const POLL_MS = 10;

const logger = pino({ level: 'silent' });

/** Replicas and directories of the running test, released by stopAll(). */
const running: Replica[] = [];
const dirs: string[] = [];
const clients: RegistryClient[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgernetes-api-'));
  dirs.push(dir);
  return dir;
}

/** Ports the kernel reports free on 127.0.0.1 (a 3-replica cluster must know its peers' ports up front). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function startReplica(id: string, listen: string, peers: string, timing: Record<string, string>): Promise<Replica> {
  const config = parseServerConfig({ id, 'data-dir': await tempDir(), listen, peers, ...timing }, {});
  const replica = await Replica.start(config, logger.child({ member: id }));
  running.push(replica);
  return replica;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false): Promise<T> {
  const deadline = Date.now() + WAIT_MS_MAX;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A 1-replica cluster (peers = itself) listening on an ephemeral port, once it leads. */
export async function startSingle(): Promise<Replica> {
  const timing = { 'tick-interval-ms': '10', 'heartbeat-interval-ms': '20', 'election-timeout-ms': '100' };
  const replica = await startReplica('n1', '127.0.0.1:0', 'n1=127.0.0.1:0', timing);
  await waitFor('the single replica to lead', () => replica.isLeader());
  return replica;
}

/** A 3-replica cluster on loopback; resolves once one replica leads and every one knows it. */
export async function startTrio(): Promise<{ replicas: Replica[]; leader: Replica; followers: Replica[] }> {
  const ports = await freePorts(3);
  const ids = ['n1', 'n2', 'n3'];
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
  const timing = { 'tick-interval-ms': '20', 'heartbeat-interval-ms': '60', 'election-timeout-ms': '600' };
  const replicas = await Promise.all(ids.map((id, i) => startReplica(id, `127.0.0.1:${ports[i]}`, peers, timing)));
  const leader = await waitFor('a leader known to all', () => {
    const leaders = replicas.filter((r) => r.isLeader());
    return leaders.length === 1 && replicas.every((r) => r.leaderId() === leaders[0]!.id) ? leaders[0] : undefined;
  });
  return { replicas, leader, followers: replicas.filter((r) => r !== leader) };
}

export function endpointOf(replica: Replica): string {
  return `127.0.0.1:${replica.boundPort}`;
}

export function clientOf(replicas: Replica | readonly Replica[], callTimeoutMs = 5_000): RegistryClient {
  const list = Array.isArray(replicas) ? replicas : [replicas as Replica];
  const client = new RegistryClient({ endpoints: list.map(endpointOf), callTimeoutMs });
  clients.push(client);
  return client;
}

/** Closes every client and stops every replica of the test, then removes their directories. */
export async function stopAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(running.splice(0).map((r) => r.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A call context as the API edge makes one, for internal writes in tests. */
export function internalContext(timeoutMs = 5_000): CallContext {
  const deadlineMs = Date.now() + timeoutMs;
  return { deadlineMs, callerDeadlineMs: deadlineMs, forwardedBy: null, metadata: new Metadata() };
}

/** Places `pairs` as the scheduler would (fenced on the current scheduling revision and term). */
export async function place(leader: Replica, pairs: { model: FsmModelRef; nodeId: string }[]): Promise<void> {
  const basedOnRevision = await leader.stateMachine.read(async (view) => view.schedulingRevision);
  const op = { kind: 'placement.apply' as const, term: leader.term(), basedOnRevision, timeMs: Date.now(), assign: pairs, unassign: [] };
  const result = await leader.write({ clientId: '', seq: 0, op }, internalContext());
  expect(result.outcome).toMatchObject({ status: 'applied', result: { kind: 'placement.apply', assigned: pairs.length } });
}

export function registration(id: string, extra: DeepPartial<NodeRegistration> = {}): DeepPartial<NodeRegistration> {
  return {
    id,
    address: `10.0.0.${(id.length % 200) + 1}:7070`,
    labels: { zone: 'lab' },
    capabilities: {
      cpu: { model: 'Cortex-A78', arch: 'arm64', cores: 8, flags: ['neon', 'fp16'] },
      memoryBytes: 8 * 2 ** 30,
      accelerators: [{ kind: AcceleratorKind.ACCELERATOR_KIND_NPU, vendor: 'Rockchip', model: 'RK3588 NPU', memoryBytes: 0, tops: 6 }],
      executionProviders: ['CPUExecutionProvider'],
      computeScore: 42.5,
    },
    ...extra,
  };
}

export const SHA = 'ab'.repeat(32);

export const size = (value: number) => ({ dim: { $case: 'size' as const, value } });
export const symbol = (value: string) => ({ dim: { $case: 'symbol' as const, value } });

export function modelSpec(namespace: string, name: string, version: string, extra: DeepPartial<ModelSpec> = {}): DeepPartial<ModelSpec> {
  return {
    namespace,
    name,
    version,
    artifact: { sha256: SHA, sizeBytes: 1234 },
    inputs: [{ name: 'images', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [symbol('batch'), size(3)] }],
    outputs: [{ name: 'logits', dataType: TensorDataType.TENSOR_DATA_TYPE_FLOAT32, shape: [size(-1)] }],
    ...extra,
  };
}

/** Awaits a call that must fail; checks its gRPC code and that its message contains each of `parts`. */
export async function expectFailure(call: Promise<unknown>, code: number, ...parts: string[]): Promise<ServiceError> {
  const err = (await call.then(
    () => {
      throw new Error(`expected gRPC code ${code}, but the call succeeded`);
    },
    (e: unknown) => e,
  )) as ServiceError;
  expect({ code: err.code, message: err.message }).toMatchObject({ code });
  for (const part of parts) expect(err.message).toContain(part);
  return err;
}

type UnaryFn<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, res: Res) => void,
) => unknown;

/** One unary call on a fresh generated client, bypassing RegistryClient (to send what it never would). */
export function rawUnary<C extends Client, Req, Res>(
  replica: Replica,
  Ctor: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => C,
  pick: (client: C) => UnaryFn<Req, Res>,
  request: Req,
): Promise<Res> {
  const client = new Ctor(endpointOf(replica), credentials.createInsecure());
  return new Promise<Res>((resolve, reject) => {
    pick(client).call(client, request, new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    });
  });
}

/** Runs each call; each must fail with INVALID_ARGUMENT naming its field (the failure names the case). */
export async function expectInvalid(cases: readonly (readonly [string, () => Promise<unknown>])[]): Promise<void> {
  for (const [field, call] of cases) {
    await expectFailure(call(), Code.INVALID_ARGUMENT, field).catch((err: unknown) => {
      throw new Error(`case ${field}: ${String(err)}`);
    });
  }
}
