/**
 * Listing through paged List calls: pages are fetched until `limit` items are
 * in hand or the server says there are no more. Every page holds at least one
 * item or ends the listing, so at most `limit` + 1 pages are fetched.
 */

/** Items asked for per page (the servers cap a page at 1000). */
export const PAGE_ITEMS = 500;
/** How many items a list command shows by default, and at most. */
export const LIST_LIMIT_DEFAULT = 1_000;
export const LIST_LIMIT_MAX = 100_000;

export interface Page<T> {
  readonly items: readonly T[];
  /** Empty when nothing follows. */
  readonly nextCursor: string;
}

export interface Listing<T> {
  readonly items: T[];
  /** True when the listing stopped at `limit` with items left on the server. */
  readonly more: boolean;
}

export async function collectPages<T>(limit: number, fetchPage: (cursor: string, want: number) => Promise<Page<T>>): Promise<Listing<T>> {
  const items: T[] = [];
  let cursor = '';
  for (let page = 0; page <= limit && items.length < limit; page++) {
    const result = await fetchPage(cursor, Math.min(PAGE_ITEMS, limit - items.length));
    items.push(...result.items.slice(0, limit - items.length));
    cursor = result.nextCursor;
    if (cursor === '' || result.items.length === 0) break;
  }
  return { items, more: cursor !== '' };
}
