import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@hearth/server-kit";
import { CmafBoxReader } from "./llhls/box-reader.ts";
import { RenditionPackager } from "./llhls/rendition-packager.ts";
import { RungOutput } from "./rung-output.ts";
import { grabThumbnail } from "./thumbnail.ts";

// Real ffmpeg output: 2 s of 160x90 H.264 (keyframe every 1 s) + AAC, CMAF fragments of 5 frames.
const FILE = new Uint8Array(
  await Bun.file(join(import.meta.dir, "llhls", "testdata", "av-160x90.mp4")).arrayBuffer(),
);
const dir = mkdtempSync(join(tmpdir(), "hearth-rung-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packaged(): RenditionPackager {
  const p = new RenditionPackager({
    targetDuration: 1,
    partTarget: 0.16667,
    windowSegments: 12,
    partSegments: 2,
  });
  const r = new CmafBoxReader({ onInit: (i) => p.beginInput(i), onFragment: (f) => p.addFragment(f) });
  r.push(FILE);
  p.endInput();
  return p;
}

describe("RungOutput (the live stream's view of a rung's packager)", () => {
  test("bitrate from segment sizes and durations; format from ffprobe of init + segment, CODECS from the init", async () => {
    const p = packaged();
    const out = new RungOutput(p, "ffprobe");
    await out.update();
    const segs = p.segments.filter((s) => s.bytes);
    expect(segs).toHaveLength(2);
    const bits = segs.reduce((t, s) => t + (s.bytes?.length ?? 0) * 8, 0);
    const secs = segs.reduce((t, s) => t + s.duration, 0);
    expect(out.average()).toBeCloseTo(bits / secs, 3);
    expect(out.peak).toBe(Math.max(...segs.map((s) => ((s.bytes?.length ?? 0) * 8) / s.duration)));
    expect(out.format).toEqual({
      width: 160,
      height: 90,
      frameRate: 30,
      codecs: ["avc1.42c00c", "mp4a.40.2"],
    });
  });

  test("the newest segment decodes on its own into a preview image; end() ends the playlist", async () => {
    const p = packaged();
    const out = new RungOutput(p, "ffprobe");
    const seg = out.newestSegment();
    if (!seg) throw new Error("expected a segment");
    const grab = grabThumbnail("ffmpeg", seg, dir, 160, createLogger({}, { silent: true }));
    expect(await grab.done).toBe(true);
    const jpeg = readFileSync(join(dir, "thumb.jpg"));
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect(p.ended).toBe(false);
    out.end();
    expect(p.ended).toBe(true);
  });
});
