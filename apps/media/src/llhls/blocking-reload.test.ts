import { describe, expect, test } from "bun:test";
import { feedFragments, SYNTHETIC_INIT } from "../../testing/test-feed.ts";
import {
  advancePartLimit,
  isReady,
  isTooFarAhead,
  parseReloadRequest,
  ReloadError,
} from "./blocking-reload.ts";
import { RenditionPackager } from "./rendition-packager.ts";

const q = (s: string) => {
  const p = new URLSearchParams(s);
  return (k: string) => p.get(k) ?? undefined;
};

function live(fragments: number): RenditionPackager {
  const p = new RenditionPackager({ targetDuration: 1, partTarget: 0.2, windowSegments: 6, partSegments: 2 });
  p.beginInput(SYNTHETIC_INIT);
  feedFragments(p, fragments);
  return p;
}

describe("parseReloadRequest", () => {
  test("reads the directives", () => {
    expect(parseReloadRequest(q("_HLS_msn=12&_HLS_part=3&_HLS_skip=YES"))).toEqual({
      msn: 12,
      part: 3,
      skip: true,
    });
    expect(parseReloadRequest(q(""))).toEqual({ msn: null, part: null, skip: false });
  });
  test("refuses a part without an msn, and malformed numbers", () => {
    for (const bad of [
      "_HLS_part=1",
      "_HLS_msn=-1",
      "_HLS_msn=1.5",
      "_HLS_msn=1&_HLS_part=x",
      "_HLS_skip=yes",
    ]) {
      expect(() => parseReloadRequest(q(bad))).toThrow(ReloadError);
    }
  });
});

describe("isReady / isTooFarAhead", () => {
  // 12 fragments: segments 0 and 1 complete (5 parts each), segment 2 open with parts 0 and 1.
  const p = live(12);
  test("a complete segment, or a part that exists, is ready; later ones are not", () => {
    expect(isReady(p, 1, null)).toBe(true);
    expect(isReady(p, 2, null)).toBe(false);
    expect(isReady(p, 2, 1)).toBe(true);
    expect(isReady(p, 2, 2)).toBe(false);
    expect(isReady(p, 0, 4)).toBe(true);
  });
  test("a part index past a complete segment's end means part 0 of the next", () => {
    expect(isReady(p, 1, 5)).toBe(true); // = (2, 0)
    const q2 = live(10); // segment 1 complete only when the next keyframe arrives: still open here
    expect(isReady(q2, 1, 5)).toBe(false);
  });
  test("the Advance Part Limit is 3 / PART-TARGET parts below one second", () => {
    expect(advancePartLimit(0.2)).toBe(15);
    expect(advancePartLimit(0.33)).toBe(9);
    expect(advancePartLimit(1)).toBe(3);
    expect(isTooFarAhead(p, 2, 1 + 15)).toBe(false);
    expect(isTooFarAhead(p, 2, 1 + 16)).toBe(true);
    expect(isTooFarAhead(p, 4, null)).toBe(false);
    expect(isTooFarAhead(p, 5, null)).toBe(true);
  });
  test("an ended stream answers everything at once", () => {
    const e = live(12);
    e.end();
    expect(isReady(e, 99, 3)).toBe(true);
  });
});
