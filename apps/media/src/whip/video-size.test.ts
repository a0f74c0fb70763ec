import { describe, expect, test } from "bun:test";
import { h264SpsSize, videoSizeFromRtp } from "./video-size.ts";

/** SPS NAL units written by x264 (ffmpeg -c:v libx264) for these sizes. */
const SPS = {
  "1280x720 baseline": "6742c01fd9005005bb0110000003001000000303c0f1832480",
  "640x360 baseline": "6742c01ed900a02ff970110000030001000003003c0f162e48",
  // 1080 is cropped from 1088 (68 macroblock rows): the frame_cropping fields must be applied.
  "1920x1080 high": "67640028acd940780227e5c044000003000400000300f03c60c658",
};
const hex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

describe("h264SpsSize", () => {
  test("reads the cropped size of baseline and high-profile SPS", () => {
    expect(h264SpsSize(hex(SPS["1280x720 baseline"]))).toEqual({ width: 1280, height: 720 });
    expect(h264SpsSize(hex(SPS["640x360 baseline"]))).toEqual({ width: 640, height: 360 });
    expect(h264SpsSize(hex(SPS["1920x1080 high"]))).toEqual({ width: 1920, height: 1080 });
  });

  test("truncated or random bytes give undefined, never a throw", () => {
    const full = hex(SPS["1920x1080 high"]);
    // Cut before the size fields (the VUI after them is not needed).
    for (let n = 0; n < 6; n++) expect(h264SpsSize(full.subarray(0, n))).toBeUndefined();
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + Math.floor(Math.random() * 40)).map(() => Math.random() * 256);
      const size = h264SpsSize(junk);
      if (size) expect(size.width * size.height).toBeGreaterThan(0);
    }
  });
});

describe("videoSizeFromRtp", () => {
  test("H.264: a single-NAL SPS and an SPS inside a STAP-A (what browsers send before an IDR)", () => {
    const sps = hex(SPS["1280x720 baseline"]);
    expect(videoSizeFromRtp("H264", sps)).toEqual({ width: 1280, height: 720 });
    const pps = hex("68ce3c80");
    const stapA = Uint8Array.from([0x78, 0, sps.length, ...sps, 0, pps.length, ...pps]);
    expect(videoSizeFromRtp("H264", stapA)).toEqual({ width: 1280, height: 720 });
    // An IDR slice or a STAP-A whose sizes overrun the packet carry no size.
    expect(videoSizeFromRtp("H264", hex("65888040"))).toBeUndefined();
    expect(videoSizeFromRtp("H264", Uint8Array.from([0x78, 0xff, 0xff, 0x67]))).toBeUndefined();
  });

  test("VP8: the keyframe header of the first packet of a frame", () => {
    // Descriptor: X=1, S=1, PID=0; I=1 with a 15-bit picture id; then the frame tag and 640x480.
    const frame = hex("f0e8009d012a8002e0010007");
    expect(videoSizeFromRtp("VP8", Uint8Array.from([0x90, 0x80, 0x81, 0x23, ...frame]))).toEqual({
      width: 640,
      height: 480,
    });
    // Not the start of a partition, or an interframe (tag bit 0 set): no size.
    expect(videoSizeFromRtp("VP8", Uint8Array.from([0x80, 0x80, 0x81, 0x23, ...frame]))).toBeUndefined();
    const inter = Uint8Array.from(frame);
    inter[0] = 0xf1;
    expect(videoSizeFromRtp("VP8", Uint8Array.from([0x10, ...inter]))).toBeUndefined();
    expect(videoSizeFromRtp("VP8", Uint8Array.from([0x90]))).toBeUndefined();
  });

  test("random payloads never throw", () => {
    for (const codec of ["H264", "VP8", "VP9"] as const)
      for (let i = 0; i < 1000; i++) {
        const junk = new Uint8Array(Math.floor(Math.random() * 60)).map(() => Math.random() * 256);
        expect(() => videoSizeFromRtp(codec, junk)).not.toThrow();
      }
  });
});
