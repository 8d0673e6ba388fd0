// Goal: a process killed (SIGKILL) in the middle of appending and rotating
// loses nothing it had acknowledged, and the WAL reopens cleanly.
// Method: a child process appends with 16 concurrent closed-loop proposers into
// small segments and prints every acknowledged index; the parent kills it
// mid-stream, reopens the WAL, and checks every acknowledged entry is there,
// contiguous from 1, with its payload intact.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Wal } from '../../../src/raft/wal/index.js';
import { payload, tempDir } from './helpers.js';

const walModule = new URL('../../../src/raft/wal/index.ts', import.meta.url).pathname;
const fixturesModule = new URL('./fixtures.ts', import.meta.url).pathname;

describe('crash', () => {
  it('keeps every acknowledged append across a SIGKILL mid-stream', async () => {
    const dir = tempDir();
    const script = `import { Wal } from ${JSON.stringify(walModule)};
      import { entry } from ${JSON.stringify(fixturesModule)};
      const { wal } = await Wal.open(${JSON.stringify(dir)}, { segmentBytes: 8192 });
      let next = 1;
      const proposer = async () => {
        for (let round = 0; round < 100000; round++) {
          const index = next++;
          await wal.append([entry(index, 1, 100)], null);
          process.stdout.write(index + '\\n');
        }
      };
      await Promise.all(Array.from({ length: 16 }, proposer));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: new URL('../../../', import.meta.url).pathname,
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.split('\n').length > 2000) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${signal}`))));
    });
    const acknowledged = output.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
    const highest = Math.max(...acknowledged);
    expect(acknowledged.length).toBeGreaterThanOrEqual(2000);
    const { wal, state, report } = await Wal.open(dir, { segmentBytes: 8192 });
    expect(report.segmentsScanned).toBeGreaterThan(5);
    expect(state.entries.length).toBeGreaterThanOrEqual(highest);
    state.entries.forEach((e, k) => expect(e.index).toBe(k + 1));
    for (const index of acknowledged) expect(state.entries[index - 1]!.data).toEqual(payload(index, 100));
    await wal.close();
  });
});
