// Goal: no request, however malformed, crashes a replica or wedges a service:
// undecodable bytes, numbers beyond 2^53, unknown enum values, mutated valid
// requests and oversize messages all get a status that blames the request
// (never INTERNAL; undecodable bytes: INVALID_ARGUMENT naming the method and
// the decoder's reason), and the replica keeps serving afterwards.
// Method: a real 1-replica cluster in process; a generic grpc-js client sends
// raw bytes to every method of Nodes, Models, Deployments, Watch, KV and Health. Random
// inputs come from a seeded PRNG (the seed is printed in the failure message)
// and the number of cases is fixed, so a run is bounded and repeatable.
import { Client, credentials, Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRng, type Rng } from '../../src/raft/core/index.js';
import { DeploymentsService } from '../../src/gen/edgernetes/api/v1/deployments.js';
import { ModelSpec, ModelsService } from '../../src/gen/edgernetes/api/v1/models.js';
import { NodeRegistration, NodesService } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { WatchService } from '../../src/gen/edgernetes/api/v1/watch.js';
import { PipelineService } from '../../src/gen/edgernetes/api/v1/pipeline.js';
import { KVService } from '../../src/gen/edgernetes/api/v1/kv.js';
import { HealthService } from '../../src/gen/grpc/health/v1/health.js';
import type { Replica } from '../../src/server/replica.js';
import { clientOf, endpointOf, modelSpec, registration, startSingle, stopAll } from './helpers.js';

const SEED = 20_241_127;
const RANDOM_CASES_PER_METHOD = 12;
const CALL_TIMEOUT_MS = 3_000;

interface Method {
  readonly path: string;
  readonly responseStream: boolean;
}

// Cluster's methods are left out: random bytes that decode into a membership change could act on the one replica.
const METHODS: Method[] = [NodesService, ModelsService, DeploymentsService, WatchService, KVService, HealthService].flatMap((service) =>
  Object.values(service).map((m) => ({ path: m.path, responseStream: m.responseStream })),
);

const passthrough = (b: Buffer) => b;

interface Outcome {
  readonly code: number;
  readonly details: string;
}

/** Sends `bytes` as the request; resolves with the final status (OK included). */
function send(client: Client, method: Method, bytes: Buffer): Promise<Outcome> {
  const deadline = new Date(Date.now() + CALL_TIMEOUT_MS);
  const ok: Outcome = { code: Code.OK, details: '' };
  const failed = (err: ServiceError): Outcome => ({ code: err.code, details: err.details });
  if (!method.responseStream) {
    return new Promise((resolve) =>
      client.makeUnaryRequest(method.path, passthrough, passthrough, bytes, new Metadata(), { deadline }, (err: ServiceError | null) =>
        resolve(err === null ? ok : failed(err)),
      ),
    );
  }
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(method.path, passthrough, passthrough, bytes, new Metadata(), { deadline });
    // A watch that opened answered: cancel it and report OK.
    call.on('data', () => {
      call.cancel();
      resolve(ok);
    });
    call.on('error', (err: ServiceError) => resolve(failed(err)));
    call.on('end', () => resolve(ok));
  });
}

/** A malformed request is the caller's fault: never UNKNOWN or INTERNAL (grpc-js's own answer to undecodable bytes). */
function expectHandled(outcome: Outcome, what: string): void {
  expect(outcome.code, `${what}: ${outcome.details}`).not.toBe(Code.UNKNOWN);
  expect(outcome.code, `${what}: ${outcome.details}`).not.toBe(Code.INTERNAL);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v % 128) | 0x80);
  }
}

function randomBytes(rng: Rng, lengthMax: number): Buffer {
  const bytes = Buffer.alloc(rng.nextInt(lengthMax + 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextInt(256);
  return bytes;
}

/** A valid encoding with a few bytes overwritten: decodes more often, so it reaches the validators. */
function mutate(rng: Rng, valid: Uint8Array): Buffer {
  const bytes = Buffer.from(valid);
  const flips = 1 + rng.nextInt(4);
  for (let i = 0; i < flips && bytes.length > 0; i++) bytes[rng.nextInt(bytes.length)] = rng.nextInt(256);
  return bytes;
}

/** Varint of 2^63: above Number.MAX_SAFE_INTEGER, which the generated decoder refuses. */
const HUGE_VARINT = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);

describe('malformed requests', () => {
  let replica: Replica;
  let raw: Client;

  beforeEach(async () => {
    replica = await startSingle();
    raw = new Client(endpointOf(replica), credentials.createInsecure());
  });
  afterEach(async () => {
    raw.close();
    await stopAll();
  });

  async function expectStillServing(): Promise<void> {
    const client = clientOf(replica);
    await client.registerNode(registration(`alive-${Date.now()}`));
    expect((await client.listNodes()).nodes.length).toBeGreaterThan(0);
  }

  it('answers undecodable and out-of-range inputs with a status', async () => {
    const cases: [string, Method, Buffer][] = [
      ['truncated varint', METHODS[0]!, Buffer.from([0x08, 0xff])],
      ['wrong wire type', METHODS[1]!, Buffer.from([0x12, 0x05, 0x01])],
      // SetNodeLabelsRequest.expected_mod_revision (field 4, varint) = 2^63.
      ['uint64 beyond 2^53', METHODS.find((m) => m.path.endsWith('Nodes/SetLabels'))!, Buffer.concat([Buffer.from([0x20]), HUGE_VARINT])],
      // WatchRequest.from_revision (field 1) = 2^63.
      ['watch from 2^63', METHODS.find((m) => m.path.endsWith('Watch/Watch'))!, Buffer.concat([Buffer.from([0x08]), HUGE_VARINT])],
      // WatchRequest.kinds (field 2, packed) = [77].
      ['unknown enum value', METHODS.find((m) => m.path.endsWith('Watch/Watch'))!, Buffer.from([0x12, 0x01, 77])],
    ];
    for (const [name, method, bytes] of cases) {
      const outcome = await send(raw, method, bytes);
      expectHandled(outcome, `${name} on ${method.path}`);
      expect(outcome.code, `${name} on ${method.path}`).toBe(Code.INVALID_ARGUMENT);
    }
    await expectStillServing();
  });

  it('names the method and the decoder\'s reason when the bytes are not its message', async () => {
    const register = METHODS.find((m) => m.path.endsWith('Nodes/Register'))!;
    const unary = await send(raw, register, Buffer.from([0x12, 0x05, 0x01]));
    expect(unary.code).toBe(Code.INVALID_ARGUMENT);
    expect(unary.details).toMatch(/^\/edgernetes\.api\.v1\.Nodes\/Register: the request is not a valid protobuf message for this method \(.+\)$/);
    const watch = await send(raw, METHODS.find((m) => m.path.endsWith('Watch/Watch'))!, Buffer.from([0x08, 0xff]));
    expect(watch.code).toBe(Code.INVALID_ARGUMENT);
    expect(watch.details).toMatch(/Watch\/Watch: the request is not a valid protobuf message/);
    // A Pipeline stream has no id to answer such a message by: the stream ends with the status.
    const pipelinePath = PipelineService.run.path;
    const stream = raw.makeBidiStreamRequest(pipelinePath, passthrough, passthrough, new Metadata(), {
      deadline: new Date(Date.now() + CALL_TIMEOUT_MS),
    });
    const ended = new Promise<Outcome>((resolve) => {
      stream.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
      stream.on('end', () => resolve({ code: Code.OK, details: '' }));
    });
    stream.on('data', () => undefined);
    stream.write(Buffer.from([0x0a, 0x09]));
    const pipeline = await ended;
    expect(pipeline.code).toBe(Code.INVALID_ARGUMENT);
    expect(pipeline.details).toMatch(/Pipeline\/Run: the request is not a valid protobuf message/);
    await expectStillServing();
  });

  it('refuses an oversize request with RESOURCE_EXHAUSTED', async () => {
    // Larger than the server's 16 MiB receive limit.
    const bodyBytes = 18 * 1024 * 1024;
    const huge = Buffer.concat([Buffer.from([0x12]), varint(bodyBytes), Buffer.alloc(bodyBytes)]);
    const outcome = await send(raw, METHODS.find((m) => m.path.endsWith('Nodes/Register'))!, huge);
    expect(outcome.code).toBe(Code.RESOURCE_EXHAUSTED);
    await expectStillServing();
  });

  it(`survives seeded random and mutated requests on every method (seed ${SEED})`, async () => {
    const rng = seededRng(SEED);
    const validRegistration = NodeRegistration.encode(NodeRegistration.fromPartial(registration('fuzz-node'))).finish();
    const validModel = ModelSpec.encode(ModelSpec.fromPartial(modelSpec('fuzz', 'model', '1'))).finish();
    const codes = new Map<number, number>();
    for (const method of METHODS) {
      for (let i = 0; i < RANDOM_CASES_PER_METHOD; i++) {
        // Field 2 carries the body in Register/Create; elsewhere these bytes are just more noise.
        const body = i % 2 === 0 ? validRegistration : validModel;
        const bytes = i % 3 === 0 ? randomBytes(rng, 256) : Buffer.concat([Buffer.from([0x12]), varint(body.length), mutate(rng, body)]);
        const outcome = await send(raw, method, bytes);
        expectHandled(outcome, `seed ${SEED}, ${method.path}, case ${i}`);
        codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
      }
    }
    // The mix shows the inputs reached past the decoder into validation.
    expect(codes.get(Code.INVALID_ARGUMENT) ?? 0).toBeGreaterThan(0);
    await expectStillServing();
  }, 20_000);
});
