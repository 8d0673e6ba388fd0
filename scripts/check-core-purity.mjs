#!/usr/bin/env node
// Keeps the Raft core pure: no I/O modules, timers, clock or ambient randomness.
// The core must run identically in production and in the seeded simulator.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const CORE_DIR = process.argv[2] ?? new URL('../src/raft/core/', import.meta.url).pathname;

const forbidden = [
  { pattern: /from\s+['"](node:)?(fs|fs\/promises|net|http|http2|https|dgram|child_process|worker_threads|os|timers|timers\/promises|crypto|stream|tls|dns|cluster|process|perf_hooks|readline)['"]/, why: 'imports an I/O module' },
  { pattern: /import\s*\(/, why: 'dynamic import' },
  { pattern: /require\s*\(/, why: 'require()' },
  { pattern: /from\s+['"](?!\.{1,2}\/)[^'"]+['"]/, why: 'imports a package (the core depends on nothing outside itself)' },
  { pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\s*\(/, why: 'uses a timer' },
  { pattern: /\bDate\.now\s*\(|\bnew\s+Date\s*\(|\bperformance\.now\s*\(|\bprocess\.hrtime/, why: 'reads the clock' },
  { pattern: /\bMath\.random\s*\(/, why: 'uses ambient randomness (inject an Rng)' },
  { pattern: /\basync\s+(function|\(|[a-zA-Z_$][\w$]*\s*\()|\bawait\s/, why: 'is asynchronous' },
  { pattern: /\bprocess\./, why: 'touches the process' },
];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const problems = [];
for (const file of walk(CORE_DIR)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*(\*|\/\*)/.test(code)) return; // doc comment lines
    for (const { pattern, why } of forbidden) {
      if (pattern.test(code)) problems.push(`${relative(process.cwd(), file)}:${i + 1}: ${why}: ${line.trim()}`);
    }
  });
}

if (problems.length > 0) {
  console.error('src/raft/core must stay pure (no I/O, timers, clock, randomness):');
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
console.log(`core purity: ${walk(CORE_DIR).length} files checked, no I/O, timers, clock or randomness`);
