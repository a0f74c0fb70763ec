import { describe, expect, test } from "bun:test";
import { tokenBuckets } from "./rate-limit.ts";

describe("token buckets", () => {
  test("a burst, then one token per refill period, with the wait said exactly", () => {
    let now = 1_000_000;
    const b = tokenBuckets({ burst: 3, perHour: 10, clock: () => now });
    expect([b.take("a"), b.take("a"), b.take("a")].every((t) => t.ok)).toBe(true);
    const refused = b.take("a");
    // 10 per hour = one every 360 s.
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 360 });
    now += 180_000;
    expect(b.take("a")).toEqual({ ok: false, retryAfterSeconds: 180 });
    // Another key has its own bucket.
    expect(b.take("b").ok).toBe(true);
    now += 180_000;
    expect(b.take("a").ok).toBe(true);
    expect(b.take("a").ok).toBe(false);
    // A long pause refills to the burst, never beyond it.
    now += 100 * 3_600_000;
    expect([b.take("a"), b.take("a"), b.take("a"), b.take("a")].map((t) => t.ok)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  test("a flood of distinct keys stays bounded", () => {
    let now = 0;
    const b = tokenBuckets({ burst: 2, perHour: 3600, clock: () => now, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) {
      now += 1;
      expect(b.take(`k${i}`).ok).toBe(true);
    }
    expect(b.size()).toBeLessThanOrEqual(100);
    // A key that was just limited keeps its state while it is not full.
    expect(b.take("k9999").ok).toBe(true);
    expect(b.take("k9999").ok).toBe(false);
  });
});
