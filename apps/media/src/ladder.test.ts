import { describe, expect, test } from "bun:test";
import type { LadderConfig } from "@hearth/contracts";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder, type SourceInfo } from "./ladder.ts";

const src = (width: number, height: number, videoCodec = "h264"): SourceInfo => ({
  videoCodec,
  width,
  height,
  fps: 30,
  audioCodec: "aac",
});
const names = (l: LadderConfig, s: SourceInfo) => planLadder(l, s).map((r) => `${r.name}:${r.video.mode}`);

describe("the Twitch-style ladder", () => {
  test("a copied 720p source gets source + 480p + 360p + 160p, not a second 720p", () => {
    expect(names(DEFAULT_LADDER, src(1280, 720))).toEqual([
      "source:copy",
      "480p:encode",
      "360p:encode",
      "160p:encode",
    ]);
  });

  test("a copied 1080p source keeps the 720p rung", () => {
    expect(names(DEFAULT_LADDER, src(1920, 1080))).toEqual([
      "source:copy",
      "720p:encode",
      "480p:encode",
      "360p:encode",
      "160p:encode",
    ]);
  });

  test("a rung within 10 % of the source's height is left out (a 700-line source has no 720p nor ~650p)", () => {
    const ladder: LadderConfig = {
      ...DEFAULT_LADDER,
      rungs: [
        { name: "650p", height: 650, videoKbps: 2000, audioKbps: 128 },
        { name: "600p", height: 600, videoKbps: 1500, audioKbps: 128 },
      ],
    };
    expect(names(ladder, src(1244, 700))).toEqual(["source:copy", "600p:encode"]);
  });

  test("a re-encoded source (HEVC) follows the same rule at its encoded height", () => {
    const capped: LadderConfig = { ...DEFAULT_LADDER, sourceMaxHeight: 720 };
    expect(names(capped, src(1920, 1080, "hevc"))).toEqual([
      "source:encode",
      "480p:encode",
      "360p:encode",
      "160p:encode",
    ]);
  });

  test("the 160p rung costs about 230 kb/s with its audio", () => {
    const r = DEFAULT_LADDER.rungs.find((x) => x.name === "160p");
    expect((r?.videoKbps ?? 0) + (r?.audioKbps ?? 0)).toBe(230);
  });
});
