/**
 * The Node (V8) flags a replica runs with, and the check that it was started
 * with them. They cannot be set from inside the process: V8 sizes its heap
 * when the isolate is created (v8.setFlagsFromString comes too late), so
 * every launcher puts them on node's command line (`edgernetes up`, the
 * benches, the README's deploy command) or in NODE_OPTIONS.
 *
 * --max-semi-space-size=4 (MiB): V8 collects its young generation with
 * stop-the-world scavenges whose pause grows with the semi-space, ~0.45 ms +
 * ~0.1 ms per MiB here, whatever survives. Under a steady write load V8 grows
 * the semi-space to its default maximum, 16 MiB, and every scavenge then
 * stops the replica for ~1.5-2 ms; on a replica in a write's path that is a
 * write 2-3x its median. Measured with one write in flight on 3 replicas
 * sharing 2 cores (15 s runs, alternating): p99 3.20-3.46 ms at 16 MiB,
 * 2.69-2.86 ms at 4 MiB, with writes slower than 3 ms overlapping a
 * scavenge in 50 % of cases at 16 MiB; 2 MiB was no better than 4 and 6-8 MiB
 * in between. The price is more scavenges under heavy load: 256 writes in
 * flight ran 1-9 % fewer writes/s (2026-11-27). Again on 2026-11-28 (another
 * host CPU, bench write, ours only, alternating): p99 at one in flight 2.85 /
 * 2.86 ms vs 3.32 / 3.33 ms at 16 MiB; 64 in flight no slower (5,626 / 5,919
 * vs 5,059 / 5,481 writes/s).
 */

/** The V8 flag that caps the young generation's semi-space (MiB). */
export const SEMI_SPACE_FLAG = '--max-semi-space-size';

/** The semi-space cap replicas run with (MiB). */
export const SERVER_SEMI_SPACE_MIB = 4;

/** Node flags to start `edgernetes server` with (before the script). */
export const SERVER_NODE_FLAGS: readonly string[] = [`${SEMI_SPACE_FLAG}=${SERVER_SEMI_SPACE_MIB}`];

/**
 * The semi-space cap (MiB) a process was started with: the last
 * --max-semi-space-size (or --max_semi_space_size) in NODE_OPTIONS, then
 * node's own flags, as node applies them; undefined when none was given
 * (V8's default applies) or its value is not a number.
 */
export function semiSpaceMibOf(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  const tokens = [...(nodeOptions ?? '').split(/\s+/).filter((t) => t !== ''), ...execArgv];
  let mib: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!.replaceAll('_', '-');
    if (token === SEMI_SPACE_FLAG) {
      mib = parseMib(tokens[i + 1]);
      i++;
    } else if (token.startsWith(`${SEMI_SPACE_FLAG}=`)) {
      mib = parseMib(token.slice(SEMI_SPACE_FLAG.length + 1));
    }
  }
  return mib;
}

function parseMib(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Why this process's young generation is not as the server wants it, or null
 * when it is: a line for the replica's log at start.
 */
export function semiSpaceAdvice(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const mib = semiSpaceMibOf(execArgv, nodeOptions);
  if (mib !== undefined && mib <= SERVER_SEMI_SPACE_MIB) return null;
  const now = mib === undefined ? "V8's default young generation (16 MiB semi-spaces)" : `${SEMI_SPACE_FLAG}=${mib}`;
  return (
    `started with ${now}: its GC pauses add ~2 ms to some writes; ` +
    `start node with ${SERVER_NODE_FLAGS.join(' ')} (or put it in NODE_OPTIONS)`
  );
}
