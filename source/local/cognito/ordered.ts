// SPDX-License-Identifier: Apache-2.0
/**
 * An insertion-ordered keyed collection that pages in O(log n + page) from a cursor.
 *
 * Each entry gets an increasing sequence number. A cursor is the sequence number of the last entry a
 * page returned, so paging stays correct when entries are added or removed between pages (removed
 * entries are skipped, new ones appear at the end). Removal leaves a tombstone that is compacted away
 * once tombstones outnumber live entries.
 */
interface Entry<K, V> {
  readonly seq: number;
  readonly key: K;
  readonly value: V;
  removed: boolean;
}

export interface PageResult<V> {
  items: V[];
  /** Sequence number of the last returned item (the cursor for the next page). */
  lastSeq: number;
  /** True when at least one more matching item exists after `lastSeq`. */
  more: boolean;
}

const COMPACT_MIN_TOMBSTONES = 1024;

export class OrderedCollection<K, V> {
  private readonly byKey = new Map<K, Entry<K, V>>();
  private entries: Entry<K, V>[] = [];
  private nextSeq = 1;
  private tombstones = 0;

  get size(): number {
    return this.byKey.size;
  }

  has(key: K): boolean {
    return this.byKey.has(key);
  }

  get(key: K): V | undefined {
    return this.byKey.get(key)?.value;
  }

  /** Adds a new entry at the end; returns false (and changes nothing) when the key exists. */
  add(key: K, value: V): boolean {
    if (this.byKey.has(key)) return false;
    const entry: Entry<K, V> = { seq: this.nextSeq++, key, value, removed: false };
    this.byKey.set(key, entry);
    this.entries.push(entry);
    return true;
  }

  delete(key: K): boolean {
    const entry = this.byKey.get(key);
    if (!entry) return false;
    entry.removed = true;
    this.byKey.delete(key);
    this.tombstones += 1;
    if (this.tombstones >= COMPACT_MIN_TOMBSTONES && this.tombstones > this.byKey.size) {
      this.entries = this.entries.filter((e) => !e.removed);
      this.tombstones = 0;
    }
    return true;
  }

  *values(): IterableIterator<V> {
    for (const entry of this.entries) if (!entry.removed) yield entry.value;
  }

  /**
   * Up to `limit` live items with a sequence number above `afterSeq` that match `predicate`. Looking for
   * `more` scans ahead only to the next match, so a full paging pass costs O(n) even with a filter.
   */
  page(afterSeq: number, limit: number, predicate?: (value: V) => boolean): PageResult<V> {
    const items: V[] = [];
    let lastSeq = afterSeq;
    let index = this.firstIndexAfter(afterSeq);
    for (; index < this.entries.length && items.length < limit; index += 1) {
      const entry = this.entries[index] as Entry<K, V>;
      if (entry.removed || (predicate && !predicate(entry.value))) continue;
      items.push(entry.value);
      lastSeq = entry.seq;
    }
    let more = false;
    for (; index < this.entries.length; index += 1) {
      const entry = this.entries[index] as Entry<K, V>;
      if (!entry.removed && (!predicate || predicate(entry.value))) {
        more = true;
        break;
      }
    }
    return { items, lastSeq, more };
  }

  private firstIndexAfter(seq: number): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.entries[mid] as Entry<K, V>).seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
