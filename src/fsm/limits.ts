/**
 * Fixed bounds of the replicated data. They are part of the command protocol:
 * every replica must validate with the same numbers or replicas diverge, so
 * they are constants, not configuration. Changing one is a protocol change
 * (bump COMMAND_VERSION and gate it on every replica being upgraded).
 */

/** Largest kv value: 1 MiB. */
export const KV_VALUE_BYTES_MAX = 1024 * 1024;
/** Largest kv key, in UTF-8 bytes. */
export const KV_KEY_BYTES_MAX = 1024;
/** Largest number of keys one kv.deleteRange removes (the client repeats while `more`). */
export const KV_DELETE_RANGE_KEYS_MAX = 1000;

/** Largest encoded command (an entry's data): a max kv value plus room for the envelope. */
export const COMMAND_BYTES_MAX = KV_VALUE_BYTES_MAX + 64 * 1024;

export const CLIENT_ID_LENGTH_MAX = 128;
/**
 * Results one client session keeps for exactly-once retries (sessions.ts).
 * Beyond it the lowest seqs are dropped (their retries become StaleSequence),
 * so a client keeps the span of its unanswered seqs below it (client/write-queue.ts).
 */
export const SESSION_RESULTS_MAX = 256;
export const NODE_ID_LENGTH_MAX = 128;
export const NAME_LENGTH_MAX = 128;
export const ADDRESS_LENGTH_MAX = 255;
export const REASON_LENGTH_MAX = 1024;
export const FREE_TEXT_LENGTH_MAX = 256;

export const LABELS_MAX = 64;
export const LABEL_VALUE_LENGTH_MAX = 63;
export const LABEL_KEY_NAME_LENGTH_MAX = 63;
export const LABEL_KEY_PREFIX_LENGTH_MAX = 253;
export const TAINTS_MAX = 32;
export const TOLERATIONS_MAX = 32;

export const CPU_FLAGS_MAX = 512;
export const CPU_CORES_MAX = 4096;
export const ACCELERATORS_MAX = 16;
export const EXECUTION_PROVIDERS_MAX = 32;
/** Upper bound of an accelerator's TOPS and of a node's compute score (sanity, not physics). */
export const PERFORMANCE_FIGURE_MAX = 1e12;

export const TENSORS_MAX = 64;
export const TENSOR_DIMS_MAX = 16;

/** Desired replicas of one model version, and assignments of one model version. */
export const REPLICAS_MAX = 256;
/** Assignments held by one node. */
export const ASSIGNMENTS_PER_NODE_MAX = 256;
/** Assign + unassign pairs in one placement command. */
export const PLACEMENT_CHANGES_MAX = 256;

/** Largest proposer-supplied time (year ~2255): rejects garbage, not clocks. */
export const TIME_MS_MAX = 9e12;
