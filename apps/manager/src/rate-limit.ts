/** A source of the current time in milliseconds; tests move it instead of sleeping. */
export type Clock = () => number;

export interface TokenBucketOptions {
  /** Tokens a key may hold (the burst). */
  burst: number;
  /** Tokens added per hour, continuously. */
  perHour: number;
  clock: Clock;
  /** Keys kept at most; past this, full buckets (which are the same as no bucket) are dropped, then the oldest. */
  maxKeys?: number;
}

/** The answer of a bucket: allowed, or refused with how long until a token is back. */
export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Token buckets per key (a client address): `take` spends one token or says when to come back. */
export function tokenBuckets(o: TokenBucketOptions) {
  const perMs = o.perHour / 3_600_000;
  const maxKeys = o.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  const level = (b: { tokens: number; at: number }, now: number) =>
    Math.min(o.burst, b.tokens + (now - b.at) * perMs);

  /** Keeps memory bounded under a flood of distinct keys. */
  const prune = (now: number) => {
    for (const [k, b] of buckets) if (level(b, now) >= o.burst) buckets.delete(k);
    for (const k of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(k);
    }
  };

  return {
    take(key: string): Take {
      const now = o.clock();
      const b = buckets.get(key);
      const tokens = b ? level(b, now) : o.burst;
      if (tokens >= 1) {
        if (!b && buckets.size >= maxKeys) prune(now);
        buckets.set(key, { tokens: tokens - 1, at: now });
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    },
    /** Whether `take` would succeed now, without spending anything. */
    peek(key: string): Take {
      const b = buckets.get(key);
      const tokens = b ? level(b, o.clock()) : o.burst;
      return tokens >= 1
        ? { ok: true }
        : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    },
    /** How many keys are held (tests and metrics). */
    size: () => buckets.size,
  };
}
export type TokenBuckets = ReturnType<typeof tokenBuckets>;
