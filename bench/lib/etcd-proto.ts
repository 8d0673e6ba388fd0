/**
 * Loads etcd's v3 API (etcdserverpb/rpc.proto and the files it imports) from the
 * installed Debian package, at run time. The files carry gogoproto and
 * google.api annotations whose own .proto files are not shipped with them, so a
 * stripped copy is written to a temp dir first: imports that the package does
 * not provide are dropped, and so is every custom option `(…)`, which changes
 * nothing on the wire. etcd's files are never copied into this repository.
 */
import * as protoLoader from '@grpc/proto-loader';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { trackDir, untrackDir } from './cleanup.js';
import { EtcdInstallError } from './errors.js';

/** Import path under which the root file is written and loaded. */
const ROOT_IMPORT_PATH = 'etcdserverpb/rpc.proto';
/** Bound on the import graph walk (etcd's rpc.proto pulls in 2 files). */
const IMPORTED_FILES_MAX = 32;

/** `option (custom.name).sub = ` — the start of a custom option statement. */
const CUSTOM_OPTION_START = /option\s*\([\w.]+\)[\w.]*\s*=\s*/g;
const IMPORT_LINE = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;\s*$/gm;

/** Index just past the `}` closing the `{` at `open`. */
function skipBalancedBraces(text: string, open: number): number {
  assert.equal(text[open], '{');
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i + 1;
  }
  throw new EtcdInstallError(`unbalanced braces in an etcd .proto option at offset ${open}`);
}

/** Removes `option (x) = value;` statements, whether value is a scalar or a `{…}` block. */
function stripCustomOptionStatements(text: string): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(CUSTOM_OPTION_START)) {
    if (match.index < from) continue; // Inside a block already removed.
    out += text.slice(from, match.index);
    let end = match.index + match[0].length;
    end = text[end] === '{' ? skipBalancedBraces(text, end) : text.indexOf(';', end);
    if (end < 0) throw new EtcdInstallError('unterminated option statement in an etcd .proto file');
    if (text[end] === ';') end++;
    from = end;
  }
  return out + text.slice(from);
}

/** In `[a = 1, (gogoproto.x) = y]` field options, drops the custom ones (and `[]` if none is left). */
function stripCustomFieldOptions(text: string): string {
  return text.replace(/\s*\[([^\][]*)\]/g, (whole, inner: string) => {
    const kept = inner
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0 && !part.startsWith('('));
    if (kept.length === inner.split(',').filter((p) => p.trim().length > 0).length) return whole;
    return kept.length === 0 ? '' : ` [${kept.join(', ')}]`;
  });
}

/** The package file providing import path `importPath`, matched on its last two path segments. */
function resolveImport(importPath: string, files: readonly string[]): string | undefined {
  const suffix = `/${importPath.split('/').slice(-2).join('/')}`;
  const matches = files.filter((f) => f.endsWith(suffix));
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * The stripped text of `source`, and the imports it keeps (those the package provides).
 * Strips comments first so that option-like text inside them cannot confuse the scan.
 */
export function stripProto(source: string, files: readonly string[]): { text: string; imports: string[] } {
  const imports: string[] = [];
  let text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  text = text.replace(IMPORT_LINE, (_line, path: string) => {
    if (resolveImport(path, files) === undefined) return '';
    imports.push(path);
    return `import "${path}";`;
  });
  text = stripCustomFieldOptions(stripCustomOptionStatements(text));
  return { text, imports };
}

/** Writes stripped copies of rpc.proto and its imports into a new temp dir; returns the dir. */
export function writeStrippedProtos(files: readonly string[]): string {
  const rpc = files.filter((f) => f.endsWith('/etcdserverpb/rpc.proto') && !f.includes('/gw/'));
  if (rpc.length !== 1) {
    throw new EtcdInstallError(`expected one etcdserverpb/rpc.proto in the etcd protos package, found ${rpc.length}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'edg-etcd-proto-'));
  trackDir(dir);
  const pending: Array<{ importPath: string; file: string }> = [{ importPath: ROOT_IMPORT_PATH, file: rpc[0]! }];
  const written = new Set<string>();
  while (pending.length > 0) {
    assert.ok(written.size < IMPORTED_FILES_MAX, 'etcd proto import graph is bounded');
    const { importPath, file } = pending.pop()!;
    if (written.has(importPath)) continue;
    const { text, imports } = stripProto(readFileSync(file, 'utf8'), files);
    mkdirSync(dirname(join(dir, importPath)), { recursive: true });
    writeFileSync(join(dir, importPath), text);
    written.add(importPath);
    for (const path of imports) pending.push({ importPath: path, file: resolveImport(path, files)! });
  }
  return dir;
}

let loaded: protoLoader.PackageDefinition | undefined;

/**
 * etcd's v3 API as a proto-loader package definition (snake_case field names,
 * 64-bit integers as decimal strings since member ids use all 64 bits, bytes as Buffer).
 */
export function loadEtcdProtos(files: readonly string[]): protoLoader.PackageDefinition {
  if (loaded !== undefined) return loaded;
  const dir = writeStrippedProtos(files);
  try {
    loaded = protoLoader.loadSync(ROOT_IMPORT_PATH, {
      includeDirs: [dir],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
  } catch (err) {
    throw new EtcdInstallError(`loading etcd's stripped .proto files from ${dir} failed`, { cause: err });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  }
  return loaded;
}
