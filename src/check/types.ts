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
  /**
   * read: the value read (on ok; ignored elsewhere, may be absent); write: the value;
   * cas: [expected, new]. A completion may omit it for write and cas (the invoke's is used).
   */
  readonly value?: Value | readonly [Value, Value];
  /** cas ok only: whether it swapped. */
  readonly result?: boolean;
}

/** Sequential specifications the checker knows. */
export type ModelName = 'register';

export interface CheckOptions {
  /** Wall-clock budget for the whole history; past it the verdict is `unknown`. */
  readonly timeoutMs: number;
  /** Default 'register'. */
  readonly model?: ModelName;
  /**
   * Line number (1-based) of each event in its file, used to name positions in the window.
   * Without it, positions are event numbers (1-based).
   */
  readonly lineNumbers?: readonly number[];
  /** Budget for shrinking the window of a non-linearizable key. Default 2,000 ms. */
  readonly windowBudgetMs?: number;
}

/** One operation of a non-linearizable window, with where it happened. */
export interface WindowOperation {
  readonly process: number;
  readonly f: OpFunction;
  readonly key: string;
  /** As completed: the value read, written, or the cas pair. */
  readonly value: Value | readonly [Value, Value];
  /** cas only. */
  readonly result?: boolean;
  /** Line (or event number) of the invoke and of the completion. */
  readonly invokeLine: number;
  readonly completeLine: number;
}

export type Verdict =
  | { readonly kind: 'linearizable' }
  | {
      readonly kind: 'not-linearizable';
      readonly key: string;
      /** The smallest window of operations (as text lines) that cannot be ordered. */
      readonly window: readonly string[];
      /** The same window as data: the operations that cannot be ordered, by invoke. */
      readonly operations: readonly WindowOperation[];
    }
  | { readonly kind: 'unknown'; readonly reason: string };
