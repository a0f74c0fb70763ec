import type { OpenStreamCounts } from "./creation-policy.ts";
import type { Clock } from "./rate-limit.ts";

/** How long a count read from the table is trusted as a bound (another manager on the database may create). */
export const COUNT_BOUND_TTL_MS = 1000;

/**
 * Upper bounds of the open-stream counts, so that a creation far below the caps costs no database round trip:
 * two COUNT queries inside the serialised cap check made every creation wait for the one before it (bench/api,
 * POST /start_stream on Postgres: ~1,300/s before the caps, ~400/s with them). A bound is the last count read
 * plus the creations that succeeded in this process since; a stream that ends only lowers the real count, so the
 * bound never counts too few here. Near a cap, or once the count is older than COUNT_BOUND_TTL_MS, the table
 * is read again, so a refusal is always decided on a fresh count.
 */
export function boundedCounts(counts: OpenStreamCounts, clock: Clock, ttlMs = COUNT_BOUND_TTL_MS) {
  let total: { n: number; at: number } | null = null;
  const byKey = new Map<string, { n: number; at: number }>();
  const fresh = (b: { at: number } | null | undefined): b is { n: number; at: number } =>
    b != null && clock() - b.at < ttlMs;
  return {
    /** Open streams in all, from the bound when `pending` more would still be under `cap`. */
    async total(pending: number, cap: number): Promise<number> {
      if (fresh(total) && total.n + pending < cap) return total.n;
      total = { n: await counts.total(), at: clock() };
      return total.n;
    },
    async byCreator(key: string, pending: number, cap: number): Promise<number> {
      const b = byKey.get(key);
      if (fresh(b) && b.n + pending < cap) return b.n;
      const n = await counts.byCreator(key);
      // One entry per client seen within the TTL; a flood of addresses only costs re-reads.
      if (byKey.size > 10_000) byKey.clear();
      byKey.set(key, { n, at: clock() });
      return n;
    },
    /** A stream's row now exists: it counts from now on. */
    created(key: string | null): void {
      if (total) total.n++;
      const b = key === null ? undefined : byKey.get(key);
      if (b) b.n++;
    },
  };
}
