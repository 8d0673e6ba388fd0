/**
 * Manifests for `edgectl apply -f` / `delete -f`: multi-document YAML (or
 * JSON), every document one resource of apiVersion `edgernetes.ai/v1`:
 *
 *   kind: Model   metadata {namespace (default "default"), name, version}, spec (see resources/model.ts)
 *   kind: Node    metadata {name: NODE-ID}, spec {labels?, taints?}  (only what is given is applied)
 *
 * Every document is validated before anything is sent, with the state
 * machine's own validators, so a bad manifest changes nothing. Errors are
 * ManifestErrors naming the file, the 1-based document index and the field
 * (`spec.artifact.sha256`). Empty documents (comments only) are skipped but
 * keep their place in the numbering.
 */
import { parseAllDocuments } from 'yaml';
import { ValidationError } from '../../fsm/errors.js';
import {
  validateLabels,
  validateModelRef,
  validateModelSpec,
  validateNamespace,
  validateNodeId,
  validateTaints,
  type Labels,
  type ModelSpec,
  type Taint,
} from '../../fsm/types.js';
import { ManifestError, UsageError } from './failure.js';
import { DEFAULT_NAMESPACE } from './options.js';
import { API_VERSION, modelRefText } from './resources/model.js';

export const MANIFEST_KINDS = ['Model', 'Node'] as const;
export const MANIFEST_DOCUMENTS_MAX = 1_000;
/** YAML aliases expanded per document (guards against "billion laughs"). */
const ALIAS_COUNT_MAX = 100;

interface Origin {
  readonly source: string;
  /** 1-based. */
  readonly documentIndex: number;
}

export interface ModelResource extends Origin {
  readonly kind: 'Model';
  readonly spec: ModelSpec;
}

export interface NodeResource extends Origin {
  readonly kind: 'Node';
  readonly id: string;
  /** Absent: leave the node's labels as they are. */
  readonly labels?: Labels;
  /** Absent: leave the node's taints as they are. */
  readonly taints?: readonly Taint[];
}

export type ManifestResource = ModelResource | NodeResource;

export function resourceName(r: ManifestResource): string {
  return r.kind === 'Model' ? `model ${modelRefText(r.spec)}` : `node ${r.id}`;
}

type Fields = Readonly<Record<string, unknown>>;

/** Parses and validates every document of `text`; throws the first problem found. */
export function parseManifests(text: string, source: string): ManifestResource[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(documents)) throw new UsageError(`${source}: no documents found`);
  if (documents.length > MANIFEST_DOCUMENTS_MAX) throw new UsageError(`${source}: more than ${MANIFEST_DOCUMENTS_MAX} documents`);
  const resources: ManifestResource[] = [];
  documents.forEach((document, i) => {
    const origin = { source, documentIndex: i + 1 };
    const problem = document.errors[0];
    if (problem !== undefined) throw new ManifestError(source, origin.documentIndex, '', `invalid YAML: ${problem.message.split('\n')[0]!.replace(/:$/, '')}`, { cause: problem });
    const value: unknown = document.toJS({ maxAliasCount: ALIAS_COUNT_MAX });
    if (value === null || value === undefined) return;
    resources.push(withFieldErrors(origin, () => parseResource(value, origin)));
  });
  if (resources.length === 0) throw new UsageError(`${source}: no resources found (every document is empty)`);
  requireDistinct(resources);
  return resources;
}

/** Runs `parse`, turning the validators' ValidationError into a ManifestError of this document. */
function withFieldErrors<T>(origin: Origin, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const hint = err.reason === 'must be a string' ? ' (in YAML, quote numbers and booleans meant as text, e.g. "1.0")' : '';
    throw new ManifestError(origin.source, origin.documentIndex, err.field, `${err.reason}${hint}`, { cause: err });
  }
}

function record(value: unknown, field: string, allowed: readonly string[], what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(field, `must be a mapping with ${what}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new ValidationError(field === '' ? key : `${field}.${key}`, `unknown field; expected ${what}`);
  }
  return value as Fields;
}

function parseResource(value: unknown, origin: Origin): ManifestResource {
  const root = record(value, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status'], 'apiVersion, kind, metadata and spec');
  if (root.apiVersion !== API_VERSION) {
    const got = root.apiVersion === undefined ? 'is required' : `must be "${API_VERSION}", got ${JSON.stringify(root.apiVersion)}`;
    throw new ValidationError('apiVersion', root.apiVersion === undefined ? `${got} ("${API_VERSION}")` : got);
  }
  if (root.kind === 'Model') return parseModel(root, origin);
  if (root.kind === 'Node') return parseNode(root, origin);
  throw new ValidationError('kind', `must be one of ${MANIFEST_KINDS.join(', ')}, got ${JSON.stringify(root.kind ?? null)}`);
}

/** metadata.createRevision/modRevision are set by the cluster (present in `get -o yaml` output) and ignored. */
const READ_ONLY_METADATA = ['createRevision', 'modRevision'];

function parseModel(root: Fields, origin: Origin): ModelResource {
  if (root.metadata === undefined) throw new ValidationError('metadata', 'is required (namespace, name, version)');
  const metadata = record(root.metadata, 'metadata', ['namespace', 'name', 'version', ...READ_ONLY_METADATA], 'namespace, name and version');
  const namespace = validateNamespace(metadata.namespace ?? DEFAULT_NAMESPACE, 'metadata.namespace');
  const ref = validateModelRef({ namespace, name: metadata.name, version: metadata.version }, 'metadata');
  if (root.spec === undefined) throw new ValidationError('spec', 'is required (artifact, format, inputs, outputs, requirements, desiredReplicas)');
  const specFields = ['artifact', 'format', 'inputs', 'outputs', 'requirements', 'desiredReplicas'];
  const spec = record(root.spec, 'spec', specFields, specFields.join(', '));
  return { kind: 'Model', ...origin, spec: validateModelSpec({ ...spec, ...ref }, 'spec') };
}

function parseNode(root: Fields, origin: Origin): NodeResource {
  if (root.metadata === undefined) throw new ValidationError('metadata', 'is required (name: the node id)');
  const metadata = record(root.metadata, 'metadata', ['name', ...READ_ONLY_METADATA], 'name (the node id)');
  const id = validateNodeId(metadata.name, 'metadata.name');
  if (root.spec === undefined) throw new ValidationError('spec', 'is required (labels and/or taints)');
  const spec = record(root.spec, 'spec', ['labels', 'taints'], 'labels and/or taints');
  if (spec.labels === undefined && spec.taints === undefined) throw new ValidationError('spec', 'must set labels or taints (or both)');
  return {
    kind: 'Node',
    ...origin,
    id,
    ...(spec.labels !== undefined ? { labels: validateLabels(spec.labels, 'spec.labels') } : {}),
    ...(spec.taints !== undefined ? { taints: validateTaints(spec.taints, 'spec.taints') } : {}),
  };
}

/** The same resource twice in one apply would make the outcome depend on the order. */
function requireDistinct(resources: readonly ManifestResource[]): void {
  const seen = new Map<string, number>();
  for (const r of resources) {
    const name = resourceName(r);
    const first = seen.get(name);
    if (first !== undefined) throw new ManifestError(r.source, r.documentIndex, 'metadata', `${name} is also defined by document ${first}`);
    seen.set(name, r.documentIndex);
  }
}
