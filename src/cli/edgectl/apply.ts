/**
 * `edgectl apply -f FILE...` and `edgectl delete -f FILE...`.
 *
 * Every file is read (bounded) and every document validated first; then the
 * resources are applied in file order, one at a time. A resource the cluster
 * refuses is reported on its own stderr line and the others still go; the
 * exit code is 1 if any failed. Apply is declarative: the manifest's values
 * replace the cluster's (a Model's requirements and desired replicas; a Node's
 * labels and/or taints). A Model version's artifact, format and tensors are
 * immutable: changing them is refused (apply a new version instead).
 */
import { readFile, stat } from 'node:fs/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { ClientError, RequestError } from '../../client/errors.js';
import { validateModelSpec, validateTaints, type ModelSpec, type Taint } from '../../fsm/types.js';
import { clientMessage, oneLine, SomeResourcesFailedError, statusName, UsageError } from './failure.js';
import { parseManifests, resourceName, type ManifestResource, type ModelResource, type NodeResource } from './manifest.js';
import type { Rendered } from './output.js';
import { modelDocument, modelSpecMessage, requirementsMessage } from './resources/model.js';
import { nodeDocument } from './resources/node.js';
import { taintEffectWords } from './resources/words.js';
import { withSession, type Session } from './session.js';

/** Largest manifest file read. */
const MANIFEST_BYTES_MAX = 4 * 1024 * 1024;

/** A manifest changes what a stored model version cannot change (found by edgectl before sending anything). */
export class ImmutableChangeError extends ClientError {
  constructor(readonly fields: readonly string[]) {
    super(`${fields.join(', ')} of a model version cannot change; apply it as a new version`, GrpcStatus.FAILED_PRECONDITION);
  }
}

type Action = 'created' | 'configured' | 'unchanged' | 'deleted' | 'not found';

interface Outcome {
  readonly resource: string;
  readonly action: Action;
}

async function readManifestText(path: string): Promise<string> {
  if (path === '-') return readStdin();
  let sizeBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`-f ${path}: not a regular file`);
    sizeBytes = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`-f ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (sizeBytes > MANIFEST_BYTES_MAX) throw new UsageError(`-f ${path}: larger than ${MANIFEST_BYTES_MAX} bytes`);
  return readFile(path, 'utf8');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const bytes = Buffer.from(chunk as Uint8Array);
    total += bytes.byteLength;
    if (total > MANIFEST_BYTES_MAX) throw new UsageError(`-f -: larger than ${MANIFEST_BYTES_MAX} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and validates every file before anything is sent. */
export async function loadManifests(files: readonly string[]): Promise<ManifestResource[]> {
  if (files.length === 0) throw new UsageError('-f FILE is required (- for stdin)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('-f -: stdin can be read once');
  const resources: ManifestResource[] = [];
  for (const file of files) resources.push(...parseManifests(await readManifestText(file), file === '-' ? 'stdin' : file));
  return resources;
}

// ---------------------------------------------------------------- apply

/** The canonical spec of a stored model, for comparison with a manifest's. */
function storedSpec(stored: Parameters<typeof modelDocument>[0]): ModelSpec {
  const { metadata, spec } = modelDocument(stored);
  return validateModelSpec({ ...spec, namespace: metadata.namespace, name: metadata.name, version: metadata.version }, 'stored model');
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

async function applyModel(session: Session, r: ModelResource): Promise<Action> {
  try {
    await session.registry.createModel(modelSpecMessage(r.spec));
    return 'created';
  } catch (err) {
    if (!(err instanceof RequestError && err.code === GrpcStatus.ALREADY_EXISTS)) throw err;
  }
  const stored = (await session.registry.getModel(r.spec)).model;
  if (stored === undefined) throw new Error(`Models.Get answered without a model for ${resourceName(r)}`);
  const current = storedSpec(stored);
  const immutable = (['artifact', 'format', 'inputs', 'outputs'] as const).filter((f) => !same(current[f], r.spec[f]));
  if (immutable.length > 0) {
    throw new ImmutableChangeError(immutable);
  }
  if (same(current.requirements, r.spec.requirements) && current.desiredReplicas === r.spec.desiredReplicas) return 'unchanged';
  await session.registry.updateModel(r.spec, requirementsMessage(r.spec.requirements), r.spec.desiredReplicas);
  return 'configured';
}

const taintKey = (t: Taint): string => `${t.key}\u0000${t.effect}\u0000${t.value}`;
const sortedTaints = (taints: readonly Taint[]): Taint[] => [...taints].sort((a, b) => (taintKey(a) < taintKey(b) ? -1 : 1));

async function applyNode(session: Session, r: NodeResource): Promise<Action> {
  const stored = (await session.registry.getNode(r.id)).node;
  if (stored === undefined) throw new Error(`Nodes.Get answered without a node for ${r.id}`);
  const current = nodeDocument(stored).spec;
  let changed = false;
  if (r.labels !== undefined && !same(r.labels, Object.fromEntries(Object.entries(current.labels).sort()))) {
    await session.registry.setNodeLabels(r.id, r.labels);
    changed = true;
  }
  if (r.taints !== undefined && !same(sortedTaints(r.taints), sortedTaints(validateTaints(current.taints, 'stored node taints')))) {
    await session.registry.setNodeTaints(r.id, r.taints.map((t) => ({ key: t.key, value: t.value, effect: taintEffectWords.value(t.effect) })));
    changed = true;
  }
  return changed ? 'configured' : 'unchanged';
}

// ---------------------------------------------------------------- delete

async function deleteResource(session: Session, r: ManifestResource, ignoreNotFound: boolean): Promise<Action> {
  try {
    if (r.kind === 'Model') await session.registry.deleteModel(r.spec);
    else await session.registry.deleteNode(r.id);
    return 'deleted';
  } catch (err) {
    if (ignoreNotFound && err instanceof RequestError && err.code === GrpcStatus.NOT_FOUND) return 'not found';
    throw err;
  }
}

// ---------------------------------------------------------------- the commands

/** Runs `act` on each resource in order; a refusal is reported and the rest still run. */
async function forEachResource(session: Session, resources: readonly ManifestResource[], act: (r: ManifestResource) => Promise<Action>): Promise<void> {
  const outcomes: Outcome[] = [];
  let failed = 0;
  for (const r of resources) {
    try {
      outcomes.push({ resource: resourceName(r), action: await act(r) });
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      failed += 1;
      const where = `${r.source} document ${r.documentIndex} (${resourceName(r)})`;
      process.stderr.write(`${oneLine(`edgectl: ${where}: ${statusName(err.code)}: ${clientMessage(err)}`)}\n`);
    }
  }
  if (outcomes.length > 0) session.print(outcomesView(outcomes));
  if (failed > 0) throw new SomeResourcesFailedError(failed);
}

function outcomesView(outcomes: readonly Outcome[]): Rendered {
  return {
    document: { results: outcomes },
    table: { head: ['RESOURCE', 'RESULT'], rows: outcomes.map((o) => [o.resource, o.action]) },
  };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('create or update the resources of manifests (kinds Model and Node, apiVersion edgernetes.ai/v1)')
    .option('-f, --filename <file>', 'manifest file, YAML or JSON, several documents allowed (- for stdin); repeatable', collect, [])
    .action((opts: { filename: string[] }, cmd: Command) =>
      withSession(cmd, async (s) => {
        const resources = await loadManifests(opts.filename);
        await forEachResource(s, resources, (r) => (r.kind === 'Model' ? applyModel(s, r) : applyNode(s, r)));
      }),
    );
  program
    .command('delete')
    .description('delete the resources named by manifests (a Model version with its deployments; a Node with its deployments)')
    .option('-f, --filename <file>', 'manifest file (- for stdin); repeatable', collect, [])
    .option('--ignore-not-found', 'a resource that does not exist is not an error')
    .action((opts: { filename: string[]; ignoreNotFound?: boolean }, cmd: Command) =>
      withSession(cmd, async (s) => {
        const resources = await loadManifests(opts.filename);
        await forEachResource(s, resources, (r) => deleteResource(s, r, opts.ignoreNotFound === true));
      }),
    );
}
