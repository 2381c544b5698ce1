// SPDX-License-Identifier: Apache-2.0
/** A clock for unit tests: `sleep` advances time at once (no real timers) and records each wait. */
export function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
    /** Time spent working (between sleeps). */
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    /** Total milliseconds slept. */
    slept: () => sleeps.reduce((sum, ms) => sum + ms, 0),
  };
}

export type FakeClock = ReturnType<typeof fakeClock>;
