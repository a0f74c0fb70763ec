/** Wall-clock time for everything in chat that expires (time-outs, slow mode, strikes, rate buckets). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
