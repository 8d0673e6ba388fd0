/**
 * Linearizability checking of Jepsen-style histories (one JSON object per line).
 * Contract shared by the checker (this folder), the simulator and the chaos suite.
 */

export type OpFunction = 'read' | 'write' | 'cas';
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

/** A register value. `null` = absent. Values compare by JSON equality. */
export type Value = null | number | string | boolean;

export interface HistoryEvent {
  readonly process: number;
  readonly type: EventType;
  readonly f: OpFunction;
  readonly key: string;
  /** read: the value read (on ok); write: the value; cas: [expected, new]. */
  readonly value: Value | readonly [Value, Value];
  /** cas ok only: whether it swapped. */
  readonly result?: boolean;
}

export type Verdict =
  | { readonly kind: 'linearizable' }
  | {
      readonly kind: 'not-linearizable';
      readonly key: string;
      /** The smallest window of operations (as text lines) that cannot be ordered. */
      readonly window: readonly string[];
    }
  | { readonly kind: 'unknown'; readonly reason: string };
