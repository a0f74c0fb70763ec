import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { CmafBoxReader, type Fragment, type InitSegment } from "./box-reader.ts";
import { Mp4FormatError } from "./mp4-box.ts";

// Real ffmpeg 5.1 output: 2 s of 160x90 testsrc2 (x264, keyframe every 1 s) + AAC sine, written with
// -movflags +frag_keyframe+empty_moov+default_base_moof+cmaf -frag_duration 166667 (5 frames a fragment).
const FILE = new Uint8Array(await Bun.file(join(import.meta.dir, "testdata", "av-160x90.mp4")).arrayBuffer());

function read(chunkSize: number): { inits: InitSegment[]; frags: Fragment[]; pending: number } {
  const inits: InitSegment[] = [];
  const frags: Fragment[] = [];
  const r = new CmafBoxReader({ onInit: (i) => inits.push(i), onFragment: (f) => frags.push(f) });
  for (let i = 0; i < FILE.length; i += chunkSize) r.push(FILE.subarray(i, i + chunkSize));
  return { inits, frags, pending: r.pendingBytes() };
}

describe("CmafBoxReader on real ffmpeg output", () => {
  test("emits the init segment with both tracks, timescales and codecs", () => {
    const { inits } = read(65536);
    expect(inits).toHaveLength(1);
    const info = inits[0]?.info;
    expect(info?.primaryTrackId).toBe(1);
    expect(info?.tracks.map((t) => [t.handler, t.timescale, t.codec, t.width, t.height])).toEqual([
      ["vide", 15360, "avc1.42c00c", 160, 90],
      ["soun", 48000, "mp4a.40.2", 0, 0],
    ]);
    // ftyp + moov, nothing else.
    expect(new TextDecoder().decode(inits[0]?.bytes.subarray(4, 8))).toBe("ftyp");
  });

  test("emits every fragment with contiguous decode times and keyframes once a second", () => {
    const { frags } = read(65536);
    expect(frags).toHaveLength(12);
    let next = 0;
    for (const f of frags) {
      expect(f.decodeTime).toBe(next);
      expect(f.duration).toBe(2560); // 5 frames at 30 fps in a 15360 Hz timescale
      expect(f.sampleCount).toBe(5);
      next += f.duration;
    }
    expect(frags.map((f, i) => (f.keyframe ? i : -1)).filter((i) => i >= 0)).toEqual([0, 6]);
    expect(new TextDecoder().decode(frags[0]?.bytes.subarray(4, 8))).toBe("moof");
  });

  test("is not affected by where the chunks are cut", () => {
    const whole = read(FILE.length);
    for (const size of [7, 1000, 4093]) {
      const cut = read(size);
      expect(cut.frags.map((f) => [f.decodeTime, f.keyframe, f.bytes.length])).toEqual(
        whole.frags.map((f) => [f.decodeTime, f.keyframe, f.bytes.length]),
      );
      expect(cut.pending).toBe(0);
    }
  });

  test("the init and fragments are the file's bytes, minus the closing mfra", () => {
    const { inits, frags } = read(3000);
    const total = (inits[0]?.bytes.length ?? 0) + frags.reduce((n, f) => n + f.bytes.length, 0);
    const mfraSize = new DataView(FILE.buffer).getUint32(total);
    expect(new TextDecoder().decode(FILE.subarray(total + 4, total + 8))).toBe("mfra");
    expect(total + mfraSize).toBe(FILE.length);
    const at = (inits[0]?.bytes.length ?? 0) + frags.slice(0, 3).reduce((n, f) => n + f.bytes.length, 0);
    expect(
      Buffer.from(frags[3]?.bytes ?? []).equals(FILE.subarray(at, at + (frags[3]?.bytes.length ?? 0))),
    ).toBe(true);
  });

  test("a truncated stream leaves the partial box pending and emits nothing for it", () => {
    const inits: InitSegment[] = [];
    const frags: Fragment[] = [];
    const r = new CmafBoxReader({ onInit: (i) => inits.push(i), onFragment: (f) => frags.push(f) });
    r.push(FILE.subarray(0, 20000));
    expect(inits).toHaveLength(1);
    // 1271 (init) + 8260 + 4651 + 4228 bytes are whole; the rest of the 20000 is the 4th fragment's start.
    expect(frags).toHaveLength(3);
    expect(r.pendingBytes()).toBe(20000 - 1271 - 8260 - 4651 - 4228);
  });

  test("bytes that are not fragmented MP4 are refused", () => {
    const r = new CmafBoxReader({ onInit() {}, onFragment() {} });
    expect(() => r.push(new TextEncoder().encode("\0\0\0\x10GARBAGEGARBAGE!"))).toThrow(Mp4FormatError);
    const r2 = new CmafBoxReader({ onInit() {}, onFragment() {} });
    // A fragment before any init segment cannot be timed.
    const moofAt = 1271;
    expect(() => r2.push(FILE.subarray(moofAt))).toThrow(Mp4FormatError);
  });
});
