/** A source of the current time in milliseconds since the epoch. Injected everywhere time is read. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock (`Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };

/** The real random source (`Math.random`): the default wherever randomness is injected. */
export const systemRandom = (): number => Math.random();

/** A clock that only moves when told to: for tests, so TTL tests never sleep. */
export interface ManualClock extends Clock {
  /** Sets the time (ms since the epoch). */
  set(ms: number): void;
  /** Moves the time forward by `ms`. */
  advance(ms: number): void;
}

/** Creates a {@link ManualClock} starting at `startMs` (default: a fixed date in 2026). */
export function createManualClock(startMs = 1_780_000_000_000): ManualClock {
  let t = startMs;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
