import { expect, test } from "bun:test";
import { DEFAULT_LADDER } from "./env.ts";
import { planLadder } from "./ladder.ts";
import { rejoinLadder } from "./ladder-rejoin.ts";

const hd = { videoCodec: "h264", width: 1280, height: 720, fps: 30, audioCodec: "aac" };

test("a publisher back at a lower size keeps every rung and size; the source rung follows it", () => {
  const session = planLadder(DEFAULT_LADDER, hd);
  const rungs = rejoinLadder(session, DEFAULT_LADDER, { ...hd, width: 640, height: 360 });
  expect(rungs.map((r) => [r.name, r.width, r.height, r.video.mode])).toEqual([
    ["source", 640, 360, "copy"],
    ["720p", 1280, 720, "encode"],
    ["480p", 854, 480, "encode"],
    ["360p", 640, 360, "encode"],
  ]);
  expect(rungs.every((r) => r.audio !== null)).toBe(true);
});

test("a publisher back without audio: no rung maps an audio track that is not there", () => {
  const session = planLadder(DEFAULT_LADDER, hd);
  const rungs = rejoinLadder(session, DEFAULT_LADDER, { ...hd, audioCodec: null });
  expect(rungs.map((r) => r.audio)).toEqual([null, null, null, null]);
});
