// Goal: a replica knows whether node was started with the young-generation cap it wants,
// whichever way the flag was given (node's own flags, NODE_OPTIONS, dashes or underscores,
// "=value" or a separate value), and its advice names what it found and the flag to use;
// and a replica started without it says so in its log while one started with it does not.
// Method: parse flag sets directly; start one server process each way and read its log.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS, semiSpaceAdvice, semiSpaceMibOf } from '../../src/server/node-flags.js';

describe('semiSpaceMibOf', () => {
  it('reads the cap from node flags and NODE_OPTIONS, the flags last as node applies them', () => {
    expect(semiSpaceMibOf([], undefined)).toBeUndefined();
    expect(semiSpaceMibOf(['--max-semi-space-size=4'], undefined)).toBe(4);
    expect(semiSpaceMibOf(['--max_semi_space_size', '8'], undefined)).toBe(8);
    expect(semiSpaceMibOf([], ' --enable-source-maps  --max-semi-space-size=2 ')).toBe(2);
    expect(semiSpaceMibOf(['--max-semi-space-size=6'], '--max-semi-space-size=2')).toBe(6);
    expect(semiSpaceMibOf(['--max-semi-space-size=x'], undefined)).toBeUndefined();
    expect(semiSpaceMibOf(['--max-old-space-size=4096'], undefined)).toBeUndefined();
  });

  it('advises only when the cap is missing or larger than the server wants', () => {
    expect(semiSpaceAdvice([...SERVER_NODE_FLAGS], undefined)).toBeNull();
    expect(semiSpaceAdvice(['--max-semi-space-size=2'], undefined)).toBeNull();
    expect(semiSpaceAdvice([], undefined)).toMatch(/V8's default young generation .* start node with --max-semi-space-size=4/);
    expect(semiSpaceAdvice(['--max-semi-space-size=16'], undefined)).toMatch(/started with --max-semi-space-size=16/);
  });
});

describe('a replica started without the cap', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** Starts a bad-config server (it exits at once after logging) and returns what it printed. */
  async function startupOutput(nodeFlags: readonly string[]): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'edg-flags-'));
    dirs.push(dir);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const bin = new URL('../../bin/edgernetes.mjs', import.meta.url).pathname;
    // A data dir under a regular file: the config parses, then the replica fails to start (after
    // the advice was logged), so no ports or cluster are needed.
    const dataDir = join(file, 'data');
    const args = [...nodeFlags, bin, 'server', '--id', 'n1', '--data-dir', dataDir, '--listen', '127.0.0.1:1', '--peers', 'n1=127.0.0.1:1'];
    const env = { ...process.env, NODE_OPTIONS: '' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    return out;
  }

  it('logs the advice; with the product flags it does not', async () => {
    const without = await startupOutput([]);
    expect(without).toContain('start node with --max-semi-space-size=4');
    expect(without).toContain('replica failed to start');
    const withFlags = await startupOutput(SERVER_NODE_FLAGS);
    expect(withFlags).not.toContain('max-semi-space-size');
    expect(withFlags).toContain('replica failed to start'); // it got as far as the other did
  }, 30_000);
});
