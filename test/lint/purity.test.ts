// Goal: the purity check that CI runs really rejects I/O, timers, clock and
// randomness in the core. Method: run it on a scratch folder with one offending
// file per rule, and on the real core (which must pass).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = new URL('../../scripts/check-core-purity.mjs', import.meta.url).pathname;

describe('core purity check', () => {
  it('passes on src/raft/core', () => {
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    expect(out).toMatch(/core purity: \d+ files checked/);
  });

  const offenders: Record<string, string> = {
    'fs import': "import { writeFileSync } from 'node:fs';",
    'package import': "import { Level } from 'level';",
    timer: 'setTimeout(() => {}, 10);',
    clock: 'const t = Date.now();',
    randomness: 'const r = Math.random();',
    async: 'async function f() { return 1; }',
  };
  for (const [name, line] of Object.entries(offenders)) {
    it(`rejects ${name}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'purity-'));
      writeFileSync(join(dir, 'bad.ts'), `// fixture\n${line}\n`);
      const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('bad.ts:2');
    });
  }
});
