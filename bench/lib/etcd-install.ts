/**
 * Makes etcd available from Debian's packages, as the benchmarks need it:
 * `etcd-server` (the daemon), `etcd-client` (etcdctl, handy when debugging a
 * run) and `golang-etcd-server-dev` (it carries etcd's .proto files, which the
 * gRPC client loads at run time; we do not vendor them).
 *
 * Idempotent: nothing runs when the binary and the protos are already there;
 * `apt-get update` runs at most once per process. Quiet: apt's output is kept
 * and shown only inside the error when a step fails. Needs root (CI and the
 * developer machines run as root); otherwise it fails naming the packages.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdInstallError, PackageInstallError } from './errors.js';

const execFileAsync = promisify(execFile);

/** Debian package names (bookworm). */
export const ETCD_PACKAGES = {
  server: 'etcd-server',
  client: 'etcd-client',
  protos: 'golang-etcd-server-dev',
} as const;

export interface EtcdInstallation {
  /** Absolute path of the etcd binary. */
  readonly etcdPath: string;
  /** etcd's version, e.g. "3.4.23" (from `etcd --version`). */
  readonly version: string;
  /** Every .proto file of the protos package, absolute paths. */
  readonly protoFiles: readonly string[];
}

const APT_UPDATE_TIMEOUT_MS = 300_000;
const APT_INSTALL_TIMEOUT_MS = 600_000;
/** apt waits this long for another apt/dpkg (e.g. a parallel test file) to release its lock. */
const DPKG_LOCK_WAIT_S = 300;
const OUTPUT_TAIL_CHARS = 2_000;
/** Serialises this harness's apt-get runs across processes (see aptGet). */
const APT_LOCK_PATH = join(tmpdir(), 'edg-bench-apt.lock');

let aptUpdated: Promise<void> | undefined;
let ensured: Promise<EtcdInstallation> | undefined;

/** Absolute path of `name` on PATH, or undefined. */
export function whichSync(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this PATH entry.
    }
  }
  return undefined;
}

function tail(text: string): string {
  return text.length <= OUTPUT_TAIL_CHARS ? text : `…${text.slice(-OUTPUT_TAIL_CHARS)}`;
}

async function run(step: string, file: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = tail(`${e.stdout ?? ''}${e.stderr ?? ''}`.trim());
    const command = `${file} ${args.join(' ')}`;
    throw new PackageInstallError(`${step} failed (${command}): ${e.message}\n${output}`, { cause: err });
  }
}

/** Files of an installed Debian package, or [] when it is not installed. */
async function packageFiles(pkg: string): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('dpkg', ['-L', pkg], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter((line) => line.length > 0);
  } catch {
    return [];
  }
}

async function protoFiles(): Promise<string[]> {
  return (await packageFiles(ETCD_PACKAGES.protos)).filter((f) => f.endsWith('.proto'));
}

/** Installs Debian `packages` (root only); `apt-get update` runs once per process. */
export async function aptInstall(packages: string[]): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    const list = packages.join(' ');
    throw new PackageInstallError(`installing ${list} needs root: run apt-get install -y ${list}`);
  }
  aptUpdated ??= aptGet('apt-get update', ['update'], APT_UPDATE_TIMEOUT_MS);
  try {
    await aptUpdated;
  } catch (err) {
    aptUpdated = undefined; // Let a later call try again; this one still fails.
    throw err;
  }
  await aptGet(`apt-get install of ${packages.join(', ')}`, ['-y', 'install', ...packages], APT_INSTALL_TIMEOUT_MS);
}

/**
 * Runs apt-get under an exclusive lock file (flock, when present), so that
 * parallel test processes installing at once queue up instead of failing on
 * apt's own locks; a second install of the same packages is a quick no-op.
 */
async function aptGet(step: string, args: string[], timeoutMs: number): Promise<void> {
  const aptArgs = ['-qq', '-o', `DPkg::Lock::Timeout=${DPKG_LOCK_WAIT_S}`, ...args];
  const flock = whichSync('flock');
  if (flock === undefined) {
    await run(step, 'apt-get', aptArgs, timeoutMs);
    return;
  }
  const lockWaitS = String(Math.ceil(timeoutMs / 1_000));
  await run(step, flock, ['-w', lockWaitS, APT_LOCK_PATH, 'apt-get', ...aptArgs], 2 * timeoutMs);
}

async function ensureOnce(): Promise<EtcdInstallation> {
  const missing: string[] = [];
  if (whichSync('etcd') === undefined) missing.push(ETCD_PACKAGES.server, ETCD_PACKAGES.client);
  if ((await protoFiles()).length === 0) missing.push(ETCD_PACKAGES.protos);
  if (missing.length > 0) await aptInstall(missing);

  const etcdPath = whichSync('etcd');
  if (etcdPath === undefined) {
    throw new EtcdInstallError(`etcd is still not on PATH after installing ${ETCD_PACKAGES.server}`);
  }
  const files = await protoFiles();
  if (files.length === 0) {
    throw new EtcdInstallError(`${ETCD_PACKAGES.protos} is installed but holds no .proto files`);
  }
  const versionOutput = await run('etcd --version', etcdPath, ['--version'], 10_000);
  const version = /etcd Version:\s*(\S+)/.exec(versionOutput)?.[1];
  if (version === undefined) throw new EtcdInstallError(`etcd --version printed no version: ${tail(versionOutput)}`);
  return { etcdPath, version, protoFiles: files };
}

/** Ensures etcd and its protos are installed; the same promise for every caller of this process. */
export function ensureEtcd(): Promise<EtcdInstallation> {
  ensured ??= ensureOnce().catch((err: unknown) => {
    ensured = undefined; // A later call may succeed (e.g. the dpkg lock was held).
    throw err;
  });
  return ensured;
}
