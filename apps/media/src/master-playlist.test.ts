import { expect, test } from "bun:test";
import { avcCodecFromTs, parseVariantPlaylist, renderMasterPlaylist } from "./master-playlist.ts";

test("renders one EXT-X-STREAM-INF per rung with every attribute", () => {
  const text = renderMasterPlaylist([
    {
      name: "720p",
      bandwidth: 2_900_000.4,
      averageBandwidth: 2_700_000,
      width: 1280,
      height: 720,
      frameRate: 30,
      codecs: ["avc1.64001f", "mp4a.40.2"],
    },
  ]);
  expect(text).toBe(
    [
      "#EXTM3U",
      "#EXT-X-VERSION:6",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      '#EXT-X-STREAM-INF:BANDWIDTH=2900000,AVERAGE-BANDWIDTH=2700000,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS="avc1.64001f,mp4a.40.2",NAME="720p"',
      "720p/index.m3u8",
      "",
    ].join("\n"),
  );
});

test("parses media sequence, durations and the end marker of a variant playlist", () => {
  const p = parseVariantPlaylist(
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:1.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000+0000\nseg_a_41.ts\n#EXTINF:0.5,\nseg_a_42.ts\n#EXT-X-ENDLIST\n",
  );
  expect(p.mediaSequence).toBe(41);
  expect(p.segments).toEqual([
    { uri: "seg_a_41.ts", duration: 1, sequence: 41 },
    { uri: "seg_a_42.ts", duration: 0.5, sequence: 42 },
  ]);
  expect(p.ended).toBe(true);
});

test("reads profile, constraints and level from the SPS NAL unit", () => {
  const bytes = new Uint8Array([0x47, 0, 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac]);
  expect(avcCodecFromTs(bytes)).toBe("avc1.64001f");
  expect(avcCodecFromTs(new Uint8Array([0, 0, 1, 0x65, 1, 2, 3]))).toBeNull();
});
