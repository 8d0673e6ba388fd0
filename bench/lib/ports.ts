/**
 * Loopback port helpers. Ports are taken from the kernel (bind to port 0), all
 * at once so that one call never returns the same port twice; a port may still
 * be taken by another process between this call and its use, which the caller
 * sees as a start failure naming the port.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';

export const LOOPBACK_HOST = '127.0.0.1';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK_HOST, port, exclusive: true }, () => {
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object', 'listening server has an address');
      resolve(address.port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  assert.ok(Number.isInteger(count) && count > 0 && count <= 64, `freePorts: count ${count} not in 1..64`);
  const servers = Array.from({ length: count }, () => createServer());
  try {
    const ports = await Promise.all(servers.map((s) => listen(s, 0)));
    assert.equal(new Set(ports).size, count, 'the kernel returned distinct ports');
    return ports;
  } finally {
    await Promise.all(servers.map((s) => (s.listening ? close(s) : Promise.resolve())));
  }
}

/** True when a listener can bind `port` on 127.0.0.1 right now. */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
    return true;
  } catch {
    return false;
  } finally {
    if (server.listening) await close(server);
  }
}
