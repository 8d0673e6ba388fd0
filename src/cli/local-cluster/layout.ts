/**
 * The layout of a local cluster, recorded in DIR/cluster.json so that a later
 * `edgernetes up` on the same directory resumes the same cluster: same member
 * ids, same ports, same per-replica data directories (DIR/<id>) and logs
 * (DIR/<id>.log). The file is written once, when the cluster is created, and
 * replaced atomically (write beside, then rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const LAYOUT_FILE = 'cluster.json';
export const LAYOUT_VERSION = 1;
export const LOCAL_HOST = '127.0.0.1';
export const REPLICAS_MAX = 9;

export interface ReplicaSlot {
  readonly id: string;
  readonly port: number;
}

export interface ClusterLayout {
  readonly version: typeof LAYOUT_VERSION;
  readonly host: string;
  readonly replicas: readonly ReplicaSlot[];
}

/** What the user asked for; `explicit` says which values were given on the command line. */
export interface LayoutRequest {
  readonly dataDir: string;
  readonly replicas: number;
  readonly basePort: number;
  readonly explicit: { readonly replicas: boolean; readonly basePort: boolean };
}

/** The recorded layout cannot be used (unreadable, or it contradicts the flags). */
export class LayoutError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LayoutError';
  }
}

export function newLayout(replicas: number, basePort: number): ClusterLayout {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > REPLICAS_MAX) {
    throw new LayoutError(`--replicas: ${replicas} must be an integer from 1 to ${REPLICAS_MAX}`);
  }
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + replicas - 1 > 65535) {
    throw new LayoutError(`--base-port: ${basePort} must be at least 1024 and leave room for ${replicas} consecutive ports below 65536`);
  }
  const slots = Array.from({ length: replicas }, (_, i) => ({ id: `n${i + 1}`, port: basePort + i }));
  return { version: LAYOUT_VERSION, host: LOCAL_HOST, replicas: slots };
}

export function address(layout: ClusterLayout, slot: ReplicaSlot): string {
  return `${layout.host}:${slot.port}`;
}

export function endpoints(layout: ClusterLayout): string[] {
  return layout.replicas.map((slot) => address(layout, slot));
}

export function replicaDataDir(dataDir: string, slot: ReplicaSlot): string {
  return join(resolve(dataDir), slot.id);
}

export function replicaLogPath(dataDir: string, slot: ReplicaSlot): string {
  return join(resolve(dataDir), `${slot.id}.log`);
}

/** The layout recorded in `dataDir`, or null if there is none yet. */
export async function readLayout(dataDir: string): Promise<ClusterLayout | null> {
  const path = join(dataDir, LAYOUT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LayoutError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseLayout(text, path);
}

function parseLayout(text: string, path: string): ClusterLayout {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LayoutError(`${path} is not valid JSON (${(err as Error).message}); fix it or use another --data-dir`, { cause: err });
  }
  const r = raw as Partial<ClusterLayout>;
  const slots = Array.isArray(r?.replicas) ? r.replicas : null;
  const valid =
    r?.version === LAYOUT_VERSION &&
    typeof r.host === 'string' &&
    slots !== null &&
    slots.length >= 1 &&
    slots.length <= REPLICAS_MAX &&
    slots.every((s) => typeof s?.id === 'string' && /^[a-z0-9][a-z0-9-]{0,62}$/.test(s.id) && Number.isInteger(s.port) && s.port > 0 && s.port < 65536);
  if (!valid) throw new LayoutError(`${path} is not a version ${LAYOUT_VERSION} cluster layout; fix it or use another --data-dir`);
  return { version: LAYOUT_VERSION, host: r.host!, replicas: slots!.map((s) => ({ id: s.id, port: s.port })) };
}

export async function writeLayout(dataDir: string, layout: ClusterLayout): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, LAYOUT_FILE);
  await writeFile(`${path}.new`, `${JSON.stringify(layout, null, 2)}\n`);
  await rename(`${path}.new`, path);
}

/**
 * The layout to run: the recorded one when resuming (flags given explicitly
 * must agree with it), else a new one from the flags, which the caller
 * records with writeLayout() once its ports proved free and before any
 * replica starts.
 */
export async function resolveLayout(request: LayoutRequest): Promise<{ layout: ClusterLayout; resumed: boolean }> {
  const recorded = await readLayout(request.dataDir);
  if (recorded === null) {
    return { layout: newLayout(request.replicas, request.basePort), resumed: false };
  }
  const recordedBasePort = recorded.replicas[0]!.port;
  if (request.explicit.replicas && request.replicas !== recorded.replicas.length) {
    throw new LayoutError(
      `${request.dataDir} holds a cluster of ${recorded.replicas.length} replicas, not ${request.replicas}: ` +
        'drop --replicas to resume it, or use another --data-dir (members are changed with edgectl cluster add-member/remove-member)',
    );
  }
  if (request.explicit.basePort && request.basePort !== recordedBasePort) {
    throw new LayoutError(
      `${request.dataDir} holds a cluster on ports from ${recordedBasePort}, not ${request.basePort}: ` +
        'drop --base-port to resume it, or use another --data-dir',
    );
  }
  return { layout: recorded, resumed: true };
}
