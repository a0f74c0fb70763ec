import { expect, test } from "bun:test";
import { renderMasterPlaylist } from "./master-playlist.ts";

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
      '#EXT-X-STREAM-INF:BANDWIDTH=2900000,AVERAGE-BANDWIDTH=2700000,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS="avc1.64001f,mp4a.40.2",NAME="720p"',
      "720p/index.m3u8",
      "",
    ].join("\n"),
  );
});
