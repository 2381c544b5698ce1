// SPDX-License-Identifier: Apache-2.0
/**
 * A user pool split by `sub`. Cognito's `sub` is a UUID written in lower-case hexadecimal, so the 16
 * ListUsers filters `sub ^= "0"` to `sub ^= "f"` split the pool into disjoint partitions that together
 * hold every user. ListUsers pages each filter with its own PaginationToken, so the partitions can be
 * listed at once (`page-streams.ts`) and resumed independently. Used by the export and by the restore's
 * check of the new pool.
 */

export const SUB_PREFIXES: readonly string[] = [...'0123456789abcdef'];

export const isSubPrefix = (key: string): boolean => SUB_PREFIXES.includes(key);

/** The ListUsers Filter of the partition whose subs start with `prefix`. */
export const subPrefixFilter = (prefix: string): string => `sub ^= "${prefix}"`;
