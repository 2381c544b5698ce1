// SPDX-License-Identifier: Apache-2.0
/**
 * The write journal behind the local point-in-time recovery: every write that reached a table
 * through the DynamoDB front (PutItem, UpdateItem, DeleteItem, BatchWriteItem), with the time its
 * answer came back and the item as it is after the write (absent: deleted). Folding a table's
 * journal up to a time gives the table as it was then, which is what DynamoDB's point-in-time
 * recovery offers (any second of the recovery window) and what an export to S3 reads.
 *
 * TransactWriteItems is not journaled: dynalite answers it UnknownOperationException, so no write
 * of that kind can reach a local table.
 *
 * Images are kept as the JSON text of the item's AttributeValue map: a string costs a fraction of
 * the parsed object, which matters on a 100,000-user run.
 */

/** A DynamoDB item in the wire format (`{ "id": { "S": "..." } }`). */
export type AttributeMap = Record<string, unknown>;

export interface JournalEntry {
  /** When the write's answer came back (ms since the epoch). */
  time: number;
  /** The item's key, canonical (see `keyOf`). */
  key: string;
  /** The item after the write, as JSON text; undefined: the write deleted it. */
  image: string | undefined;
}

/** What changed between two times, by item key. */
export interface TableChanges {
  added: number;
  changed: number;
  deleted: number;
}

export class TableJournal {
  readonly entries: JournalEntry[] = [];
  /** When point-in-time recovery was enabled (ms); undefined: it is not. */
  pitrEnabledAt: number | undefined;
  /** UpdateContinuousBackups' RecoveryPeriodInDays (undefined: the default, 35). */
  recoveryPeriodDays: number | undefined;

  constructor(
    readonly tableName: string,
    /** The key attributes: partition key first, then the sort key if any. */
    readonly keyNames: readonly string[],
    /** When the table was created (ms). */
    readonly createdAt: number,
    /** A unique id, as DescribeTable's TableId. */
    readonly tableId: string,
  ) {}

  /** The canonical key of an item or a key map: the key attributes' values, in key-schema order. */
  keyOf(item: AttributeMap): string {
    return JSON.stringify(this.keyNames.map((name) => item[name] ?? null));
  }

  record(time: number, item: AttributeMap, deleted: boolean): void {
    this.entries.push({
      time,
      key: this.keyOf(item),
      image: deleted ? undefined : JSON.stringify(item),
    });
  }

  /** The table's items at `time` (every write answered at or before it), by canonical key. */
  itemsAt(time: number): Map<string, string> {
    const items = new Map<string, string>();
    for (const entry of this.entries) {
      // Entries are appended in the order the answers came back: the first later one ends the fold.
      if (entry.time > time) break;
      if (entry.image === undefined) items.delete(entry.key);
      else items.set(entry.key, entry.image);
    }
    return items;
  }

  /**
   * Items added, changed (any attribute but `ignored`) or deleted between two times. An item deleted
   * and written again with the same attributes counts as unchanged: what matters is the table as each
   * time saw it.
   */
  changesBetween(from: number, to: number, ignored: readonly string[] = []): TableChanges {
    const before = this.itemsAt(from);
    const after = this.itemsAt(to);
    const changes: TableChanges = { added: 0, changed: 0, deleted: 0 };
    for (const [key, image] of before) {
      const now = after.get(key);
      if (now === undefined) changes.deleted += 1;
      else if (!sameItem(image, now, ignored)) changes.changed += 1;
    }
    for (const key of after.keys()) if (!before.has(key)) changes.added += 1;
    return changes;
  }
}

/** Two item images with the same attributes (their order and the `ignored` ones aside). */
function sameItem(a: string, b: string, ignored: readonly string[]): boolean {
  if (a === b) return true;
  const kept = (image: string): unknown => {
    const item = JSON.parse(image) as AttributeMap;
    for (const name of ignored) Reflect.deleteProperty(item, name);
    return item;
  };
  return canonical(kept(a)) === canonical(kept(b));
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The journals of every table the front saw created, by table name. */
export class WriteJournal {
  private readonly tables = new Map<string, TableJournal>();

  table(name: string): TableJournal | undefined {
    return this.tables.get(name);
  }

  /** A new table's journal (a table created again under the same name starts a new one). */
  open(name: string, keyNames: readonly string[], createdAt: number, tableId: string): TableJournal {
    const journal = new TableJournal(name, keyNames, createdAt, tableId);
    this.tables.set(name, journal);
    return journal;
  }

  drop(name: string): void {
    this.tables.delete(name);
  }
}
