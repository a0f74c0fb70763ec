import { describe, expect, test } from "bun:test";
import type { PlannedRung } from "../ladder.ts";
import { cmafOutputArgs, cmafRungOutputs, cmafTiming } from "./cmaf-args.ts";

const RUNGS: PlannedRung[] = [
  { name: "source", width: 1280, height: 720, video: { mode: "copy" }, audio: { mode: "copy" } },
  {
    name: "360p",
    width: 640,
    height: 360,
    video: { mode: "encode", kbps: 800, scale: true },
    audio: { mode: "encode", kbps: 96 },
  },
];

describe("cmafTiming", () => {
  test("parts are whole frames; frag_duration is the part itself, rounded down", () => {
    expect(cmafTiming(0.2, 30)).toEqual({ partTarget: 0.2, framesPerPart: 6, fragmentMicros: 200000 });
    expect(cmafTiming(0.2, 24)).toEqual({ partTarget: 0.20833, framesPerPart: 5, fragmentMicros: 208333 });
    expect(cmafTiming(0.2, 30000 / 1001)).toEqual({
      partTarget: 0.2002,
      framesPerPart: 6,
      fragmentMicros: 200200,
    });
    expect(cmafTiming(0.01, 25).framesPerPart).toBe(1);
  });
});

describe("cmafRungOutputs (golden)", () => {
  test("one fMP4 output per rung on consecutive pipes", () => {
    expect(
      cmafRungOutputs({
        rungs: RUNGS,
        frameRate: 30,
        segmentSeconds: 1,
        partSeconds: 0.2,
        preset: "veryfast",
        firstFd: 3,
      }),
    ).toEqual([
      ...["-map", "0:v:0", "-c:v", "copy", "-map", "0:a:0", "-c:a", "copy", "-max_muxing_queue_size", "1024"],
      ...["-f", "mp4", "-movflags", "+empty_moov+frag_keyframe+default_base_moof+cmaf+skip_trailer"],
      ...["-frag_duration", "200000", "-flush_packets", "1", "pipe:3"],
      ...["-map", "[v1]", "-c:v", "libx264", "-b:v", "800k", "-maxrate:v", "800k", "-bufsize:v", "800k"],
      ...["-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-r", "30"],
      ...["-force_key_frames", "expr:gte(t,n_forced*1)", "-sc_threshold", "0"],
      ...["-map", "0:a:0", "-c:a", "aac", "-b:a", "96k", "-max_muxing_queue_size", "1024"],
      ...["-f", "mp4", "-movflags", "+empty_moov+frag_keyframe+default_base_moof+cmaf+skip_trailer"],
      ...["-frag_duration", "200000", "-flush_packets", "1", "pipe:4"],
    ]);
  });

  test("a rung without audio maps no audio", () => {
    const args = cmafRungOutputs({
      rungs: [{ ...RUNGS[1], audio: null } as PlannedRung],
      frameRate: 25,
      segmentSeconds: 2,
      partSeconds: 0.2,
      preset: "ultrafast",
      firstFd: 5,
    });
    expect(args).not.toContain("0:a:0");
    expect(args.at(-1)).toBe("pipe:5");
    expect(args).toContain("expr:gte(t,n_forced*2)");
  });

  test("the muxer half alone", () => {
    expect(cmafOutputArgs({ fd: 7, timing: cmafTiming(0.25, 60) }).slice(-4)).toEqual([
      "250000",
      "-flush_packets",
      "1",
      "pipe:7",
    ]);
  });
});
