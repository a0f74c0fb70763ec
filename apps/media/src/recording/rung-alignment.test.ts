import { describe, expect, test } from "bun:test";
import { indexEntry } from "../../testing/stored-recording.ts";
import { aligned, commonStart, fromStart } from "./rung-alignment.ts";
import type { IndexEntry } from "./storage.ts";

const seg = (msn: number, pdt: number, duration = 1): IndexEntry => indexEntry(msn, pdt, { duration });

describe("rung alignment", () => {
  test("a rung whose first segment closed one segment early is trimmed to the others' start", () => {
    const source = [seg(10, 9_997), seg(11, 10_997), seg(12, 11_997)];
    const low = [seg(11, 11_000), seg(12, 12_000)];
    expect(commonStart([source, low])).toBe(11_000);
    const a = aligned(
      new Map([
        ["source", source],
        ["360p", low],
      ]),
    );
    // The source's first segment lies before the common start; its second starts 3 ms before it: kept.
    expect(a.get("source")?.map((e) => e.msn)).toEqual([11, 12]);
    expect(a.get("360p")?.map((e) => e.msn)).toEqual([11, 12]);
  });

  test("rungs that start together, or without segments, are left as they are", () => {
    const a = [seg(1, 1_000), seg(2, 2_000)];
    const b = [seg(1, 1_004), seg(2, 2_004)];
    expect(commonStart([a, b, []])).toBe(1_004);
    expect(fromStart(a, 1_004)).toEqual(a);
    expect(commonStart([[], []])).toBeNull();
    expect(fromStart(a, null)).toEqual(a);
  });

  test("only leading segments go: a later segment dated before the start (it cannot be) is not searched for", () => {
    const a = [seg(1, 5_000), seg(2, 6_000)];
    expect(fromStart(a, 5_400)).toEqual(a);
    expect(fromStart(a, 5_600).map((e) => e.msn)).toEqual([2]);
  });
});
