/**
 * Opening a WAL directory: list files, scan every segment (scan.ts), pick the
 * snapshot to start from, replay (replay.ts). Nothing on disk is changed until
 * every check has passed, except deleting *.tmp leftovers of unfinished atomic
 * writes (never part of the state). On success the caller cuts the torn tail,
 * if any, when it reopens the newest segment.
 *
 * Snapshot choice: the newest snapshot file that passes its checksum. If newer
 * ones are damaged or missing, an older one (or none, from index 1) may stand
 * in only if the log it needs is still there; the damaged files are then set
 * aside as *.corrupt. A valid newest snapshot whose log does not fit is not
 * silently bypassed: that is corruption.
 */
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AssertionError } from '../core/errors.js';
import type { Snapshot } from '../core/types.js';
import { WalCorruptionError, WalSnapshotError } from './errors.js';
import { parseSegmentFileName } from './format.js';
import { fsyncDir } from './fs-util.js';
import type { DecodedRecord } from './records.js';
import { BaseUnusableError, replay, type ReplayResult } from './replay.js';
import { scanSegment, type SegmentScan } from './scan.js';
import type { SegmentInfo } from './segment-file.js';
import { parseSnapshotFileName, readSnapshotFile, type SnapshotFileRef } from './snapshot-file.js';

export interface RecoveryReport {
  readonly segmentsScanned: number;
  readonly recordsScanned: number;
  /**
   * The torn write cut off the newest segment, if any. A tail that is all
   * zeros is not reported: it cannot be told from preallocated space.
   */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly reason: string } | null;
  readonly tempFilesRemoved: readonly string[];
  /** File name of the snapshot the state starts from, or null. */
  readonly snapshotUsed: string | null;
  /** Damaged snapshot files renamed to *.corrupt because an older one could stand in. */
  readonly snapshotsSetAside: readonly string[];
}

export interface Recovered {
  readonly replayed: ReplayResult;
  readonly snapshot: Snapshot | null;
  readonly segments: SegmentInfo[];
  /** Scan of the newest segment (null when there is none). */
  readonly newest: SegmentScan | null;
  /** Valid snapshot files kept, oldest first. */
  readonly snapshotFiles: SnapshotFileRef[];
  readonly report: RecoveryReport;
}

interface Listing {
  readonly segments: { readonly name: string; readonly seq: number; readonly firstIndex: number }[];
  readonly snapshots: SnapshotFileRef[];
  readonly temps: string[];
}

async function list(dir: string): Promise<Listing> {
  const names = await readdir(dir);
  const segments = names.flatMap((name) => {
    const parsed = parseSegmentFileName(name);
    return parsed === null ? [] : [{ name, ...parsed }];
  });
  segments.sort((a, b) => a.seq - b.seq);
  const snapshots = names.flatMap((name) => parseSnapshotFileName(name) ?? []);
  snapshots.sort((a, b) => a.index - b.index);
  return { segments, snapshots, temps: names.filter((name) => name.endsWith('.tmp')) };
}

async function scanAll(
  dir: string,
  segments: Listing['segments'],
): Promise<{ scans: SegmentScan[]; records: DecodedRecord[] }> {
  const scans: SegmentScan[] = [];
  const records: DecodedRecord[] = [];
  for (let k = 0; k < segments.length; k++) {
    const { name, seq, firstIndex } = segments[k]!;
    const path = join(dir, name);
    if (k > 0 && seq !== segments[k - 1]!.seq + 1) {
      throw new WalCorruptionError(path, 0, `segment ${segments[k - 1]!.seq + 1} is missing before it`);
    }
    const scan = scanSegment(await readFile(path), path, k === segments.length - 1);
    if (scan.seq !== seq || scan.firstIndex !== firstIndex) {
      throw new WalCorruptionError(
        path,
        0,
        `header (seq ${scan.seq}, first index ${scan.firstIndex}) disagrees with the file name`,
      );
    }
    scans.push(scan);
    for (const record of scan.records) records.push(record);
  }
  return { scans, records };
}

interface Choice {
  readonly replayed: ReplayResult;
  readonly snapshot: Snapshot | null;
  readonly ref: SnapshotFileRef | null;
  readonly damaged: { readonly ref: SnapshotFileRef; readonly problem: string }[];
}

function describeDamaged(damaged: Choice['damaged']): string {
  return damaged.map((d) => `${d.ref.name} (${d.problem})`).join(', ');
}

/** Replays over the newest usable snapshot; see the file comment for the rule. */
async function chooseSnapshot(dir: string, snapshots: SnapshotFileRef[], records: DecodedRecord[]): Promise<Choice> {
  const damaged: Choice['damaged'] = [];
  for (let k = snapshots.length - 1; k >= -1; k--) {
    const ref = k >= 0 ? snapshots[k]! : null;
    let snapshot: Snapshot | null = null;
    if (ref !== null) {
      const loaded = await readSnapshotFile(dir, ref);
      if ('problem' in loaded) {
        damaged.push({ ref, problem: loaded.problem });
        continue;
      }
      snapshot = loaded;
    }
    try {
      const replayed = replay(records, ref === null ? { index: 0, term: 0 } : { index: ref.index, term: ref.term });
      return { replayed, snapshot, ref, damaged };
    } catch (err) {
      if (!(err instanceof BaseUnusableError)) throw err;
      if (damaged.length === 0) {
        if (err.file !== null) throw new WalCorruptionError(err.file, err.offset!, err.message);
        throw new WalSnapshotError(`cannot open WAL ${dir}: ${err.message}`);
      }
      const standIn = ref === null ? 'starting without a snapshot' : `older snapshot ${ref.name}`;
      throw new WalSnapshotError(
        `cannot open WAL ${dir}: damaged snapshot ${describeDamaged(damaged)}, and ${standIn} cannot stand in: ${err.message}`,
      );
    }
  }
  throw new AssertionError('the snapshot loop always returns or throws at k = -1');
}

async function removeTemps(dir: string, temps: string[], sync: boolean): Promise<void> {
  for (const name of temps) await unlink(join(dir, name));
  if (temps.length > 0 && sync) await fsyncDir(dir);
}

export async function recover(dir: string, sync: boolean): Promise<Recovered> {
  const listing = await list(dir);
  await removeTemps(dir, listing.temps, sync);
  const { scans, records } = await scanAll(dir, listing.segments);
  const choice = await chooseSnapshot(dir, listing.snapshots, records);
  if (choice.ref !== null && scans.length === 0) {
    // Segment 1 is durable before any snapshot can be taken, and every segment holds
    // the hard state latest when it was first written to: with none left, term and vote are lost.
    throw new WalSnapshotError(`cannot open WAL ${dir}: snapshot ${choice.ref.name} exists but every segment is missing`);
  }
  for (const { ref } of choice.damaged) await rename(join(dir, ref.name), join(dir, `${ref.name}.corrupt`));
  if (choice.damaged.length > 0 && sync) await fsyncDir(dir);
  const newest = scans.length > 0 ? scans[scans.length - 1]! : null;
  const aside = new Set(choice.damaged.map((d) => d.ref.name));
  return {
    replayed: choice.replayed,
    snapshot: choice.snapshot,
    segments: scans.map((scan, k) => ({
      seq: scan.seq,
      name: listing.segments[k]!.name,
      maxEntryIndex: scan.maxEntryIndex,
    })),
    newest,
    snapshotFiles: listing.snapshots.filter((ref) => !aside.has(ref.name) && ref.index <= (choice.ref?.index ?? 0)),
    report: {
      segmentsScanned: scans.length,
      recordsScanned: records.length,
      tornTail: newest?.tornTail
        ? { file: join(dir, listing.segments[scans.length - 1]!.name), ...newest.tornTail }
        : null,
      tempFilesRemoved: listing.temps,
      snapshotUsed: choice.ref?.name ?? null,
      snapshotsSetAside: choice.damaged.map((d) => `${d.ref.name}.corrupt`),
    },
  };
}
