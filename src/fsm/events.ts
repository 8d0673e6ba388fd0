/**
 * Change events: what one revision changed. Stored in the change log (one
 * record per revision) and delivered to watchers.
 *
 * Event keys (what a watch's keyPrefix matches):
 *   node        <nodeId>
 *   model       <namespace>/<name>/<version>
 *   assignment  <nodeId>/<namespace>/<name>/<version>   (an agent watches "<nodeId>/")
 *   kv          <namespace>/<key>
 *   member      <memberId>
 */
import type { Assignment, EdgeNode, KvEntry, Member, Model } from './types.js';

export const WATCH_KINDS = ['node', 'model', 'assignment', 'kv', 'member'] as const;
export type WatchKind = (typeof WATCH_KINDS)[number];

type PutOrDelete<K extends WatchKind, V> =
  | { readonly kind: K; readonly type: 'put'; readonly key: string; readonly value: V }
  | { readonly kind: K; readonly type: 'delete'; readonly key: string };

export type ChangeEvent =
  | PutOrDelete<'node', EdgeNode>
  | PutOrDelete<'model', Model>
  | PutOrDelete<'assignment', Assignment>
  | PutOrDelete<'kv', KvEntry>
  | PutOrDelete<'member', Member>;

/** A change event with the revision that made it. */
export type WatchEvent = ChangeEvent & { readonly revision: number };

/** Approximate memory of an event, for watcher buffer bounds. */
export function eventSizeBytes(event: ChangeEvent): number {
  const fixed = 96 + event.key.length * 2;
  if (event.type === 'delete') return fixed;
  if (event.kind === 'kv') return fixed + event.value.value.byteLength;
  // Objects other than kv are bounded by validation; a coarse constant is enough.
  return fixed + 2048;
}
