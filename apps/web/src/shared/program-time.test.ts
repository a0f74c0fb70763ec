import { describe, expect, test } from "bun:test";
import { type TimedSegment, videoTimeAt, wallTimeAt } from "./program-time.ts";

const T0 = Date.parse("2026-11-28T20:00:00.000Z");
// Three 2 s segments, then a reconnect: 30 s later on the wall clock, the timeline goes on at 6 s.
const segments: TimedSegment[] = [
  { start: 0, duration: 2, programDateTime: T0 },
  { start: 2, duration: 2, programDateTime: T0 + 2000 },
  { start: 4, duration: 2, programDateTime: T0 + 4000 },
  { start: 6, duration: 2, programDateTime: T0 + 36_000 },
  { start: 8, duration: 1.5, programDateTime: T0 + 38_000 },
];

describe("wallTimeAt", () => {
  test("maps a player time inside a segment from that segment's date", () => {
    expect(wallTimeAt(segments, 0)).toBe(T0);
    expect(wallTimeAt(segments, 3.25)).toBe(T0 + 3250);
    // After the joint, the wall clock jumps by the gap.
    expect(wallTimeAt(segments, 5.999)).toBeCloseTo(T0 + 5999, 3);
    expect(wallTimeAt(segments, 6)).toBe(T0 + 36_000);
    expect(wallTimeAt(segments, 9)).toBe(T0 + 39_000);
  });

  test("before the first segment counts back from it; no segments or no dates give null", () => {
    expect(wallTimeAt([{ start: 10, duration: 2, programDateTime: T0 }], 9)).toBe(T0 - 1000);
    expect(wallTimeAt([], 1)).toBeNull();
    expect(wallTimeAt([{ start: 0, duration: 2, programDateTime: null }], 1)).toBeNull();
  });
});

describe("videoTimeAt", () => {
  test("is the inverse inside segments", () => {
    for (const t of [0, 1.5, 3.25, 6, 7.5, 9]) {
      expect(videoTimeAt(segments, wallTimeAt(segments, t) as number)).toBeCloseTo(t, 6);
    }
  });

  test("a time in a reconnect's gap lands on the first frame after it; ends are clamped", () => {
    expect(videoTimeAt(segments, T0 + 20_000)).toBe(6);
    expect(videoTimeAt(segments, T0 - 60_000)).toBe(0);
    expect(videoTimeAt(segments, T0 + 999_000)).toBe(9.5);
    expect(videoTimeAt([], T0)).toBeNull();
  });
});
