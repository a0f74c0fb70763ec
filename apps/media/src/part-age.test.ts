import { describe, expect, test } from "bun:test";
import type { Fragment, InitSegment } from "./llhls/box-reader.ts";
import { RenditionPackager } from "./llhls/rendition-packager.ts";
import { newestPartAgeMs } from "./part-age.ts";

const INIT: InitSegment = { bytes: new Uint8Array([1]), info: { primaryTrackId: 1, tracks: [] } };

/** A packager on a movable clock, fed `parts` fragments of `seconds` each, produced as the clock reaches their end. */
function fed(clock: { ms: number }, parts: number, seconds: number): RenditionPackager {
  const p = new RenditionPackager({
    targetDuration: 1,
    partTarget: seconds,
    windowSegments: 5,
    partSegments: 2,
    now: () => clock.ms,
  });
  p.beginInput(INIT);
  for (let i = 0; i < parts; i++) {
    clock.ms += seconds * 1000;
    const f: Fragment = {
      bytes: new Uint8Array([0]),
      decodeTime: Math.round(i * seconds * 90_000),
      duration: Math.round(seconds * 90_000),
      timescale: 90_000,
      sampleCount: 6,
      keyframe: i % 5 === 0,
    };
    p.addFragment(f);
  }
  return p;
}

describe("newestPartAgeMs", () => {
  test("null before any part; the slowest rung's lag once parts exist", () => {
    expect(newestPartAgeMs([], 0)).toBeNull();
    const clock = { ms: 1_000_000 };
    const fast = fed(clock, 10, 0.2);
    const atEnd = clock.ms;
    // Produced in real time: the newest part ends now.
    expect(newestPartAgeMs([fast], atEnd)).toBeCloseTo(0, 0);
    const slowClock = { ms: 1_000_000 };
    const slow = fed(slowClock, 5, 0.2);
    // The slow rung has only 1 s of media at the same wall time: 1 s behind.
    expect(newestPartAgeMs([fast, slow], atEnd)).toBeCloseTo(1000, 0);
    // Nothing new for 2.5 s: that much older.
    expect(newestPartAgeMs([fast], atEnd + 2500)).toBeCloseTo(2500, 0);
  });
});
