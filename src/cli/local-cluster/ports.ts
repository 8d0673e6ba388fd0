/**
 * Is a loopback port free? Checked before any replica starts, so a port taken
 * by another program (or by a cluster already running on the same directory)
 * is one clear error instead of replicas failing one by one in their logs.
 * A check, not a reservation: the port can still be taken in between.
 */
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`${host}:${port} is already in use (is this cluster already running, or another program on that port?)`, options);
    this.name = 'PortInUseError';
  }
}

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function requirePortsFree(host: string, ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    if (!(await isPortFree(host, port))) throw new PortInUseError(host, port);
  }
}
