import { describe, expect, test } from "bun:test";
import HLS from "hls-parser";
import { indexEntry } from "../../testing/stored-recording.ts";
import type { IndexEntry } from "./storage.ts";
import { renderRecordingMaster, renderRecordingPlaylist } from "./vod-playlist.ts";

const T0 = Date.UTC(2026, 10, 29, 4, 0, 0);
const e = (msn: number, o: Partial<IndexEntry> = {}): IndexEntry =>
  indexEntry(msn, T0 + (msn - 100) * 1000, { bytes: 125_000, ...o });

function parse(text: string): HLS.types.MediaPlaylist {
  const p = HLS.parse(text);
  if (p.isMasterPlaylist) throw new Error("expected a media playlist");
  return p as HLS.types.MediaPlaylist;
}

describe("recording playlists", () => {
  const entries = [
    e(100),
    e(101),
    e(102, { initSeq: 1, discontinuity: true, pdt: T0 + 9000 }),
    e(103, { initSeq: 1, pdt: T0 + 10_000 }),
  ];

  test("EVENT while recording: no ENDLIST, a date on every segment", () => {
    const text = renderRecordingPlaylist(entries, false);
    expect(text).toContain("#EXT-X-PLAYLIST-TYPE:EVENT");
    const p = parse(text);
    expect(p.endlist).toBe(false);
    expect(p.playlistType).toBe("EVENT");
    expect(p.mediaSequenceBase).toBe(100);
    expect(p.segments.map((s) => s.uri)).toEqual([
      "seg-100.m4s",
      "seg-101.m4s",
      "seg-102.m4s",
      "seg-103.m4s",
    ]);
    expect(p.segments.map((s) => s.programDateTime?.getTime())).toEqual([
      T0,
      T0 + 1000,
      T0 + 9000,
      T0 + 10_000,
    ]);
  });

  test("VOD once finished: PLAYLIST-TYPE VOD and ENDLIST; the joint has a discontinuity and the new init's map", () => {
    const text = renderRecordingPlaylist(entries, true);
    const p = parse(text);
    expect(p.endlist).toBe(true);
    expect(p.playlistType).toBe("VOD");
    expect(p.segments.map((s) => s.discontinuity === true)).toEqual([false, false, true, false]);
    expect(p.segments.map((s) => s.map?.uri)).toEqual([
      "init-0.mp4",
      "init-0.mp4",
      "init-1.mp4",
      "init-1.mp4",
    ]);
    expect(text.trimEnd().endsWith("#EXT-X-ENDLIST")).toBe(true);
    expect(text).toContain("#EXT-X-INDEPENDENT-SEGMENTS");
  });

  test("the target duration covers the longest segment; a segment not starting at a keyframe drops INDEPENDENT-SEGMENTS", () => {
    const text = renderRecordingPlaylist([e(1), e(2, { duration: 2.4, independent: false })], true);
    expect(parse(text).targetDuration).toBe(2);
    expect(text).not.toContain("INDEPENDENT-SEGMENTS");
  });

  test("master: the live master's attributes, bandwidths measured from the index, empty rungs left out", () => {
    const text = renderRecordingMaster([
      {
        rung: {
          name: "source",
          width: 1280,
          height: 720,
          frameRate: 30,
          codecs: ["avc1.64001f", "mp4a.40.2"],
        },
        entries: [e(1, { bytes: 250_000 }), e(2, { bytes: 500_000 })],
      },
      { rung: { name: "360p", width: 640, height: 360, codecs: ["avc1.4d401e"] }, entries: [] },
    ]);
    const m = HLS.parse(text) as HLS.types.MasterPlaylist;
    expect(m.variants).toHaveLength(1);
    expect(m.variants[0]?.bandwidth).toBe(4_000_000);
    expect(m.variants[0]?.averageBandwidth).toBe(3_000_000);
    expect(m.variants[0]?.resolution).toEqual({ width: 1280, height: 720 });
    expect(m.variants[0]?.codecs).toBe("avc1.64001f,mp4a.40.2");
    expect(m.variants[0]?.uri).toBe("source/index.m3u8");
  });
});
