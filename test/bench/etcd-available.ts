/**
 * Whether the etcd tests can run: etcd is installed from Debian's packages here
 * (needs root and apt). They are skipped, with the reason printed, only when
 * that install fails and only outside CI: CI runs as root with apt available,
 * so there a failed install fails the tests instead of hiding them.
 */
import { ensureEtcd } from '../../bench/lib/etcd-install.js';
import { PackageInstallError } from '../../bench/lib/errors.js';

const installError: unknown = await ensureEtcd().then(
  () => undefined,
  (err: unknown) => err,
);

if (installError !== undefined && !(installError instanceof PackageInstallError)) throw installError;

export const etcdUnavailable = installError !== undefined && process.env.CI === undefined;

if (etcdUnavailable) {
  console.warn(`SKIPPING etcd tests: etcd cannot be installed here: ${(installError as Error).message}`);
}

/** True while `pid` names a live process (a zombie counts as gone). */
export async function isAlive(pid: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
