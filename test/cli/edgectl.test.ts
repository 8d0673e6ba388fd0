// Goal: edgectl, run as a real subprocess against a real 3-replica cluster, prints what its
// documents promise (cluster status shape, kv round trips in table, json and yaml, kv watch,
// models and nodes through apply/get/list/delete), fails with one clear stderr line and the
// documented exit code (2 usage or bad manifest, 1 server/unavailable, 3 cas miss), and gives
// UNAVAILABLE within its deadline when no endpoint answers.
// Method: `edgernetes up` starts the cluster on free loopback ports in a temp dir; each check
// runs `node bin/edgectl.mjs ...` and parses its stdout per output format. A node is registered
// through the registry client, as an agent would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/client/registry.js';
import { AcceleratorKind } from '../../src/gen/edgernetes/api/v1/nodes.js';
import { edgectl, freePortBlock, UpProcess, type RunResult } from './processes.js';

let dataDir: string;
let up: UpProcess;
let endpoints: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'edgectl-test-'));
  up = UpProcess.start(dataDir, ['--base-port', String(await freePortBlock(3))]);
  endpoints = (await up.ready()).join(',');
});

afterAll(async () => {
  await up?.destroy();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

const ctl = (...args: string[]) => edgectl(['--endpoints', endpoints, ...args]);

function expectOk(result: RunResult): RunResult {
  expect(result.stderr, result.stdout).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** Exactly one stderr line, starting with `edgectl: `. */
function expectOneErrorLine(result: RunResult): string {
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^edgectl: /);
  return lines[0]!;
}

describe('edgectl cluster', () => {
  it('status -o json prints the leader and every member with role, term and indexes', async () => {
    const status = JSON.parse(expectOk(await ctl('cluster', 'status', '-o', 'json')).stdout);
    expect(Object.keys(status).sort()).toEqual(['leader', 'members']);
    expect(status.members).toHaveLength(3);
    for (const member of status.members) {
      expect(Object.keys(member).sort()).toEqual(['address', 'appliedIndex', 'commitIndex', 'id', 'role', 'term']);
      expect(endpoints.split(',')).toContain(member.address);
      expect(member.term).toBeGreaterThan(0);
      expect(member.appliedIndex).toBeLessThanOrEqual(member.commitIndex);
    }
    const leaders = status.members.filter((m: { role: string }) => m.role === 'Leader');
    expect(leaders.map((m: { id: string }) => m.id)).toEqual([status.leader]);
  });

  it('status prints a table and members lists three voters', async () => {
    const table = expectOk(await ctl('cluster', 'status')).stdout.split('\n');
    expect(table[0]).toMatch(/^leader: n[123] /);
    expect(table[1]).toMatch(/^ID\s+ADDRESS\s+ROLE\s+TERM\s+COMMIT\s+APPLIED$/);
    const members = parseYaml(expectOk(await ctl('cluster', 'members', '-o', 'yaml')).stdout);
    expect(members).toEqual({
      members: endpoints.split(',').map((address, i) => ({ id: `n${i + 1}`, address, kind: 'voter' })),
    });
  });
});

describe('edgectl kv', () => {
  /** Reads KEY back in `format` and returns [value, modRevision]. */
  async function read(key: string, format: 'table' | 'json' | 'yaml'): Promise<[string, number]> {
    const out = expectOk(await ctl('kv', 'get', key, '-o', format)).stdout;
    if (format === 'table') {
      const [head, row] = out.trimEnd().split('\n');
      expect(head).toMatch(/^KEY\s+VALUE\s+VERSION\s+CREATE-REV\s+MOD-REV$/);
      const cells = row!.split(/\s{3,}/);
      return [cells[1]!, Number(cells[4])];
    }
    const doc = format === 'json' ? JSON.parse(out) : parseYaml(out);
    expect(doc).toMatchObject({ namespace: 'default', key, encoding: 'utf8' });
    return [doc.value, doc.modRevision];
  }

  for (const format of ['table', 'json', 'yaml'] as const) {
    it(`put, get, cas, del round trip with -o ${format}`, async () => {
      const key = `round-trip-${format}`;
      expectOk(await ctl('kv', 'put', key, 'first', '-o', format));
      const [first, firstRevision] = await read(key, format);
      expect(first).toBe('first');

      expectOk(await ctl('kv', 'cas', key, 'second', '--expect-value', 'first', '-o', format));
      const [second, secondRevision] = await read(key, format);
      expect(second).toBe('second');
      expect(secondRevision).toBeGreaterThan(firstRevision);

      // A stale expectation changes nothing and exits 3.
      const missed = await ctl('kv', 'cas', key, 'third', '--expect-mod-revision', String(firstRevision), '-o', 'json');
      expect(missed.code).toBe(3);
      expect(JSON.parse(missed.stdout)).toMatchObject({ key, swapped: false });
      expect((await read(key, format))[0]).toBe('second');

      const deleted = expectOk(await ctl('kv', 'del', key, '-o', 'json'));
      expect(JSON.parse(deleted.stdout)).toMatchObject({ key, deleted: 1 });
      const gone = await ctl('kv', 'get', key, '-o', format);
      expect(gone.code).toBe(1);
      expect(expectOneErrorLine(gone)).toBe(`edgectl: NOT_FOUND: key "${key}" not found in namespace "default"`);
    });
  }

  it('stores bytes from stdin exactly and shows them as base64 when not UTF-8', async () => {
    const bytes = Buffer.from([0x61, 0x00, 0xff, 0xfe]);
    expectOk(await edgectl(['--endpoints', endpoints, 'kv', 'put', 'binary', '--file', '-', '-n', 'blobs'], { input: bytes }));
    const doc = JSON.parse(expectOk(await ctl('kv', 'get', 'binary', '-n', 'blobs', '-o', 'json')).stdout);
    expect(doc.encoding).toBe('base64');
    expect(Buffer.from(doc.value, 'base64')).toEqual(bytes);
  });

  it('lists a prefix and deletes it', async () => {
    for (const name of ['a', 'b', 'c']) expectOk(await ctl('kv', 'put', `list/${name}`, name, '-n', 'lists'));
    const listed = JSON.parse(expectOk(await ctl('kv', 'get', 'list/', '--prefix', '-n', 'lists', '-o', 'json')).stdout);
    expect(listed.kvs.map((kv: { key: string }) => kv.key)).toEqual(['list/a', 'list/b', 'list/c']);
    expect(listed.more).toBe(false);
    const deleted = JSON.parse(expectOk(await ctl('kv', 'del', 'list/', '--prefix', '-n', 'lists', '-o', 'json')).stdout);
    expect(deleted.deleted).toBe(3);
  });
});

describe('edgectl failures', () => {
  it('exits 2 with one clear line on usage errors, before contacting the cluster', async () => {
    const noExpectation = await ctl('kv', 'cas', 'k', 'v');
    expect(noExpectation.code).toBe(2);
    expect(expectOneErrorLine(noExpectation)).toBe(
      'edgectl: kv cas: give exactly one of --expect-value, --expect-absent, --expect-mod-revision',
    );
    const badFormat = await ctl('cluster', 'status', '-o', 'xml');
    expect(badFormat.code).toBe(2);
    expect(expectOneErrorLine(badFormat)).toMatch(/'xml' is invalid.*table, json, yaml/);
    const unknown = await ctl('kv', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(expectOneErrorLine(unknown)).toBe("edgectl: unknown command 'frobnicate'");
    const badEndpoint = await edgectl(['--endpoints', 'localhost', 'cluster', 'status']);
    expect(badEndpoint.code).toBe(2);
    expect(expectOneErrorLine(badEndpoint)).toBe('edgectl: --endpoints: "localhost" is not HOST:PORT');
  });

  it('reports UNAVAILABLE within its deadline when no endpoint answers', async () => {
    const base = await freePortBlock(3);
    const dead = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
    // What starting edgectl costs on this (shared, loaded) machine right now: calls that send nothing.
    const startups = [await edgectl(['--endpoints', dead, 'kv', 'cas', 'k', 'v']), await edgectl(['--endpoints', dead, 'kv', 'cas', 'k', 'v'])];
    const startupMs = Math.max(...startups.map((r) => r.elapsedMs));
    const timeoutMs = 1500;
    const result = await edgectl(['--endpoints', dead, '--timeout', `${timeoutMs}ms`, 'kv', 'put', 'k', 'v']);
    expect(result.code).toBe(1);
    expect(expectOneErrorLine(result)).toMatch(/^edgectl: UNAVAILABLE: cluster unavailable: no endpoint of \[127\.0\.0\.1:\d+, /);
    // The deadline plus start-up, with slack for scheduling noise; a hang would blow far past it.
    expect(result.elapsedMs).toBeLessThan(startupMs + timeoutMs + 2000);
  });
});

describe('edgectl kv watch', () => {
  it('prints the changes of one key from a revision, in order, and stops after --count', async () => {
    const start = JSON.parse(expectOk(await ctl('kv', 'put', 'watched-other', 'x', '-o', 'json')).stdout).modRevision as number;
    expectOk(await ctl('kv', 'put', 'watched', 'one'));
    expectOk(await ctl('kv', 'put', 'watched-longer', 'not this key'));
    expectOk(await ctl('kv', 'put', 'watched', 'two'));
    expectOk(await ctl('kv', 'del', 'watched'));
    const watched = expectOk(await ctl('kv', 'watch', 'watched', '--from-revision', String(start), '--count', '3', '-o', 'json'));
    const events = watched.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => [e.type, e.key, e.value])).toEqual([
      ['PUT', 'watched', 'one'],
      ['PUT', 'watched', 'two'],
      ['DELETE', 'watched', undefined],
    ]);
    expect(events[0].revision).toBeLessThan(events[1].revision);
    const prefixed = expectOk(await ctl('kv', 'watch', 'watched-', '--prefix', '--from-revision', String(start), '--count', '2'));
    expect(prefixed.stdout).toMatch(/^\d+ {2}PUT {5}watched-other {2}"x"\n\d+ {2}PUT {5}watched-longer {2}"not this key"\n$/);
  });
});

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

function modelManifest(name: string, options: { sha256?: string; replicas?: number; extra?: string } = {}): string {
  return [
    'apiVersion: edgernetes.ai/v1',
    'kind: Model',
    'metadata:',
    `  name: ${name}`,
    '  version: "1.0"',
    'spec:',
    `  artifact: {sha256: ${options.sha256 ?? SHA_A}, sizeBytes: 4096}`,
    '  inputs: [{name: image, dataType: float32, shape: [batch, 3, 224, 224]}]',
    '  requirements: {memoryBytes: 1048576, accelerator: {preferred: [gpu]}}',
    `  desiredReplicas: ${options.replicas ?? 1}`,
    ...(options.extra === undefined ? [] : [options.extra]),
  ].join('\n');
}

describe('edgectl apply, model, node, deployment', () => {
  async function manifestFile(name: string, text: string): Promise<string> {
    const path = join(dataDir, name);
    await writeFile(path, text);
    return path;
  }

  it('rejects a malformed manifest naming the document and the field, and applies nothing', async () => {
    const path = await manifestFile('bad.yaml', `${modelManifest('fine')}\n---\n# a comment-only document keeps its number\n---\n${modelManifest('broken', { sha256: 'xyz' })}\n`);
    const result = await ctl('apply', '-f', path);
    expect(result.code).toBe(2);
    expect(expectOneErrorLine(result)).toBe(`edgectl: ${path}: document 3: spec.artifact.sha256: must have at least 64 characters`);
    const unknownField = await edgectl(['--endpoints', endpoints, 'apply', '-f', '-'], { input: modelManifest('x', { extra: '  colour: red' }) });
    expect(unknownField.code).toBe(2);
    expect(expectOneErrorLine(unknownField)).toMatch(/^edgectl: stdin: document 1: spec\.colour: unknown field; expected artifact, /);
    const listed = JSON.parse(expectOk(await ctl('model', 'list', '-A', '-o', 'json')).stdout);
    expect(listed.items).toEqual([]);
  });

  it('creates, leaves unchanged, configures, refuses immutable changes, and deletes models', async () => {
    const path = await manifestFile('models.yaml', `${modelManifest('resnet')}\n---\n${modelManifest('mobilenet')}\n`);
    const results = (r: RunResult) => JSON.parse(r.stdout).results.map((o: { action: string }) => o.action);
    expect(results(expectOk(await ctl('apply', '-f', path, '-o', 'json')))).toEqual(['created', 'created']);
    expect(results(expectOk(await ctl('apply', '-f', path, '-o', 'json')))).toEqual(['unchanged', 'unchanged']);

    // What get prints applies back unchanged.
    const yaml = expectOk(await ctl('model', 'get', 'resnet', '1.0', '-o', 'yaml')).stdout;
    expect(parseYaml(yaml)).toMatchObject({ kind: 'Model', metadata: { namespace: 'default', name: 'resnet', version: '1.0' } });
    expect(results(expectOk(await edgectl(['--endpoints', endpoints, 'apply', '-f', '-', '-o', 'json'], { input: yaml })))).toEqual(['unchanged']);

    const scaled = await edgectl(['--endpoints', endpoints, 'apply', '-f', '-', '-o', 'json'], { input: modelManifest('resnet', { replicas: 3 }) });
    expect(results(expectOk(scaled))).toEqual(['configured']);
    const table = expectOk(await ctl('model', 'list')).stdout.split('\n');
    expect(table[0]).toMatch(/^NAMESPACE\s+NAME\s+VERSION\s+FORMAT\s+REPLICAS\s+MEMORY\s+ACCELERATOR\s+ARTIFACT$/);
    expect(table.slice(1, 3).map((line) => line.split(/\s+/).slice(1, 5))).toEqual([
      ['mobilenet', '1.0', 'onnx', '1'],
      ['resnet', '1.0', 'onnx', '3'],
    ]);

    const immutable = await edgectl(['--endpoints', endpoints, 'apply', '-f', '-'], { input: modelManifest('resnet', { sha256: SHA_B }) });
    expect(immutable.code).toBe(1);
    expect(expectOneErrorLine(immutable)).toBe(
      'edgectl: stdin document 1 (model default/resnet/1.0): FAILED_PRECONDITION: artifact of a model version cannot change; apply it as a new version',
    );

    expectOk(await ctl('model', 'delete', 'mobilenet', '1.0'));
    const deleted = await ctl('delete', '-f', path);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(/model default\/resnet\/1\.0\s+deleted/);
    expect(expectOneErrorLine(deleted)).toBe(
      `edgectl: ${path} document 2 (model default/mobilenet/1.0): NOT_FOUND: model default/mobilenet/1.0 does not exist`,
    );
    expectOk(await ctl('delete', '-f', path, '--ignore-not-found'));
    const gone = await ctl('model', 'get', 'resnet', '1.0');
    expect(gone.code).toBe(1);
    expect(expectOneErrorLine(gone)).toMatch(/^edgectl: NOT_FOUND: /);
  });

  it('lists and shows a registered node and applies its labels and taints', async () => {
    const registry = new RegistryClient({ endpoints: endpoints.split(',') });
    try {
      await registry.registerNode({
        id: 'jetson-1',
        name: 'jetson-orin',
        address: '127.0.0.1:7400',
        labels: { zone: 'edge-a' },
        capabilities: {
          cpu: { model: 'Cortex-A78AE', arch: 'arm64', cores: 12, flags: ['neon'] },
          memoryBytes: 32 * 2 ** 30,
          accelerators: [{ kind: AcceleratorKind.ACCELERATOR_KIND_GPU, vendor: 'nvidia', model: 'Orin', memoryBytes: 2 ** 34, tops: 275 }],
          executionProviders: ['CUDAExecutionProvider'],
          computeScore: 800,
        },
      });
    } finally {
      registry.close();
    }
    const table = expectOk(await ctl('node', 'list')).stdout.split('\n');
    expect(table[1]!.split(/\s{3,}/)).toEqual(['jetson-1', 'jetson-orin', '127.0.0.1:7400', 'Unknown', 'arm64', '12', '32Gi', 'gpu:Orin', '800.0', '0']);

    const manifest = ['apiVersion: edgernetes.ai/v1', 'kind: Node', 'metadata: {name: jetson-1}', 'spec:', '  labels: {zone: edge-b}', '  taints: [{key: dedicated, value: ai, effect: NoSchedule}]'].join('\n');
    const applied = expectOk(await edgectl(['--endpoints', endpoints, 'apply', '-f', '-'], { input: manifest }));
    expect(applied.stdout).toMatch(/node jetson-1\s+configured/);
    const node = parseYaml(expectOk(await ctl('node', 'get', 'jetson-1', '-o', 'yaml')).stdout);
    expect(node.spec).toEqual({ labels: { zone: 'edge-b' }, taints: [{ key: 'dedicated', value: 'ai', effect: 'NoSchedule' }] });
    expect(node.status).toMatchObject({ displayName: 'jetson-orin', condition: 'Unknown', capabilities: { cpu: { arch: 'arm64', cores: 12 } } });

    const missing = await edgectl(['--endpoints', endpoints, 'apply', '-f', '-'], { input: manifest.replace('jetson-1', 'jetson-9') });
    expect(missing.code).toBe(1);
    expect(expectOneErrorLine(missing)).toMatch(/^edgectl: stdin document 1 \(node jetson-9\): NOT_FOUND: /);
  });

  it('lists deployments (none placed without a scheduler) and refuses contradictory filters', async () => {
    expect(expectOk(await ctl('deployment', 'list')).stdout).toBe('No deployments found.\n');
    const both = await ctl('deployment', 'list', '--node', 'jetson-1', '--model', 'resnet');
    expect(both.code).toBe(2);
    expectOneErrorLine(both);
  });
});
