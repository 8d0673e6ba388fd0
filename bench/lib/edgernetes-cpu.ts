/**
 * CPU time of the server processes, from /proc/<pid>/stat (Linux): on a
 * machine shared with other work, throughput and latency move with the load
 * of others, while the CPU a server spends per operation hardly does; so the
 * load benches also report it (`server_cpu_per_op_ms`, summed over all
 * replicas of a cluster, since followers work for every write too).
 *
 * Resolution: the kernel counts in clock ticks (CLK_TCK, 100 per second on
 * Linux x86 and arm64: 10 ms), so runs should last well over a second for the
 * figure to mean much.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';

/** /proc could not be read for a process that should be running. */
export class ProcessCpuError extends BenchError {}

let clockTicksPerS: number | undefined;

function ticksPerS(): number {
  clockTicksPerS ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!(Number.isInteger(clockTicksPerS) && clockTicksPerS > 0)) {
    throw new ProcessCpuError(`getconf CLK_TCK returned ${clockTicksPerS}`);
  }
  return clockTicksPerS;
}

/** User + system CPU time consumed so far by process `pid`, in ms. */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    throw new ProcessCpuError(`cannot read the CPU time of process ${pid}`, { cause: err });
  }
  // Fields after the command name (which may hold spaces, hence the last ')'):
  // state is field 3; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  if (!Number.isFinite(ticks)) throw new ProcessCpuError(`unexpected /proc/${pid}/stat: ${stat}`);
  return (ticks * 1_000) / ticksPerS();
}

/** Sum of processCpuMs over `pids`. */
export function totalCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}
