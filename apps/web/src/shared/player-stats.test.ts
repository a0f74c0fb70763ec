import { describe, expect, test } from "bun:test";
import { bufferAheadSeconds, formatSeconds, liveLatencyMs, shouldJumpToLive } from "./player-stats.ts";

describe("liveLatencyMs", () => {
  test("now minus the program date-time of the frame on screen", () => {
    expect(liveLatencyMs(10_000, new Date(8_750))).toBe(1250);
  });
  test("null without a date (a playlist with no EXT-X-PROGRAM-DATE-TIME) or an invalid one", () => {
    expect(liveLatencyMs(10_000, null)).toBeNull();
    expect(liveLatencyMs(10_000, undefined)).toBeNull();
    expect(liveLatencyMs(10_000, new Date(Number.NaN))).toBeNull();
  });
  test("a date slightly in the future (clock skew) reads as 0, not negative", () => {
    expect(liveLatencyMs(10_000, new Date(10_200))).toBe(0);
  });
});

describe("bufferAheadSeconds", () => {
  test("the end of the range holding the playhead minus the playhead", () => {
    expect(
      bufferAheadSeconds(
        [
          [0, 2],
          [3, 7.5],
        ],
        4,
      ),
    ).toBeCloseTo(3.5);
  });
  test("a playhead a hair before a range (just seeked to it) counts that range", () => {
    expect(bufferAheadSeconds([[3, 5]], 2.95)).toBeCloseTo(2.05);
  });
  test("0 when nothing is buffered at the playhead", () => {
    expect(bufferAheadSeconds([], 1)).toBe(0);
    expect(bufferAheadSeconds([[3, 5]], 1)).toBe(0);
  });
});

test("formatSeconds", () => {
  expect(formatSeconds(1234)).toBe("1.23 s");
  expect(formatSeconds(null)).toBe("—");
});

describe("shouldJumpToLive", () => {
  const base = { latency: 6, target: 0.6, stalled: true, paused: false, waiting: false };
  test("after a stall or a late join, far behind the target: seek to the live edge", () => {
    expect(shouldJumpToLive(base)).toBe(true);
  });
  test("close to the target hls.js's playback rate catches up; no seek", () => {
    expect(shouldJumpToLive({ ...base, latency: 2.5 })).toBe(false);
  });
  test("not after a pause or a deliberate seek back, nor while the publisher reconnects, nor before a playlist", () => {
    expect(shouldJumpToLive({ ...base, stalled: false })).toBe(false);
    expect(shouldJumpToLive({ ...base, paused: true })).toBe(false);
    expect(shouldJumpToLive({ ...base, waiting: true })).toBe(false);
    expect(shouldJumpToLive({ ...base, target: null })).toBe(false);
  });
});
