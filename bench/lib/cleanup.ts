/**
 * Last-resort cleanup of what the harness started: child processes are killed
 * (SIGKILL) and temp dirs removed when this process exits, normally or by
 * SIGINT/SIGTERM/SIGHUP, so a failed test or an interrupted bench leaves no etcd
 * running and no data dir behind. Orderly shutdown (cluster.stop()) is still the
 * normal path; this only catches what it missed.
 *
 * Contract: everything here is synchronous, because an 'exit' listener cannot
 * await. A child is forgotten once it has exited, a dir once it is removed.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
/** Other synchronous undo actions (e.g. removing firewall rules), run after the children die. */
const actions = new Set<() => void>();
let installed = false;

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Kills every tracked child and removes every tracked dir, now. */
export function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone between the check and the kill: nothing left to do.
      }
    }
  }
  children.clear();
  for (const action of actions) {
    try {
      action();
    } catch {
      // Best effort at exit: one failed undo must not stop the others.
    }
  }
  actions.clear();
  for (const dir of dirs) {
    try {
      // Retries: a child killed just now may still be creating files in it.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    } catch {
      // Best effort at exit: a dir left in the temp dir is harmless.
    }
  }
  dirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupNow();
  // Re-raise with the default action so the exit status still says which signal.
  for (const s of FORWARDED_SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupNow);
  for (const s of FORWARDED_SIGNALS) process.once(s, onSignal);
}

/** Tracks `child` until it exits. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Tracks `dir` for removal at exit, until `untrackDir` is called (after removing it). */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Runs `action` at exit unless `untrackAction` is called first (after running it normally). */
export function trackAction(action: () => void): void {
  install();
  actions.add(action);
}

export function untrackAction(action: () => void): void {
  actions.delete(action);
}
