import { describe, expect, test } from "bun:test";
import { boundedCounts } from "./count-bounds.ts";
import type { OpenStreamCounts } from "./creation-policy.ts";

/** Counts from a table the test edits, with the reads it was asked for. */
function table(open: { total: number; byKey: Record<string, number> }) {
  const reads: string[] = [];
  const counts: OpenStreamCounts = {
    total: async () => {
      reads.push("total");
      return open.total;
    },
    byCreator: async (key) => {
      reads.push(key);
      return open.byKey[key] ?? 0;
    },
  };
  return { counts, reads };
}

describe("open-stream count bounds", () => {
  test("far below the cap, creations cost no read; the bound grows with each creation", async () => {
    const now = 0;
    const t = table({ total: 5, byKey: { a: 1 } });
    const b = boundedCounts(t.counts, () => now, 1000);
    expect(await b.total(0, 100)).toBe(5);
    expect(await b.byCreator("a", 0, 10)).toBe(1);
    for (let i = 0; i < 3; i++) {
      b.created("a");
      expect(await b.total(0, 100)).toBe(6 + i);
      expect(await b.byCreator("a", 0, 10)).toBe(2 + i);
    }
    expect(t.reads).toEqual(["total", "a"]);
  });

  test("near a cap the table is read again, so a refusal is decided on a fresh count", async () => {
    const t = table({ total: 8, byKey: {} });
    const b = boundedCounts(t.counts, () => 0, 1000);
    expect(await b.total(0, 10)).toBe(8);
    b.created(null);
    // Bound 9, one pending: 10 would reach the cap, so the table is asked (two streams ended meanwhile).
    t.counts.total = async () => {
      t.reads.push("total");
      return 7;
    };
    expect(await b.total(1, 10)).toBe(7);
    expect(t.reads).toEqual(["total", "total"]);
  });

  test("a count older than the TTL is read again (another manager may have created streams)", async () => {
    let now = 0;
    const open = { total: 1, byKey: { a: 0 } };
    const t = table(open);
    const b = boundedCounts(t.counts, () => now, 1000);
    expect(await b.total(0, 100)).toBe(1);
    open.total = 40;
    now = 999;
    expect(await b.total(0, 100)).toBe(1);
    now = 1000;
    expect(await b.total(0, 100)).toBe(40);
  });
});
