// SPDX-License-Identifier: Apache-2.0
/** The clock and the sleep every handler takes from its runtime, so that tests drive time themselves. */

export type Sleep = (ms: number) => Promise<void>;
export type Now = () => number;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
