import { rename } from "node:fs/promises";
import type { Subprocess } from "bun";

/** The segment a preview is taken from: a file (MPEG-TS on disk) or bytes (fMP4 init + segment, from memory). */
export type ThumbnailSource = { path: string } | { bytes: Uint8Array };

/**
 * The preview image: one frame of the newest segment, scaled to at most 640 px wide. A separate,
 * short-lived ffmpeg every 10 s (decoding one frame costs nothing next to the ladder) keeps the live
 * transcoder free of a fourth output that it would only flush every 10 s.
 */
export function thumbnailArgs(segment: string, out: string, width: number): string[] {
  const fromStdin = segment === "pipe:0";
  return [
    "-hide_banner",
    ["-loglevel", "error"],
    // A file input needs nothing on stdin; bytes from memory arrive there (init + segment, in order).
    fromStdin ? [] : ["-nostdin"],
    // Segments start with a keyframe (independent segments): the first frame decodes on its own.
    ["-i", segment],
    ["-frames:v", "1"],
    // Even height for the JPEG encoder; never wider than asked.
    ["-vf", `scale=${width}:-2`],
    // Quality 5 of 31: a ~20-40 kB JPEG at 640x360.
    ["-q:v", "5"],
    ["-f", "image2", "-y", out],
  ].flat();
}

/** Grabs a thumbnail into `<dir>/thumb.jpg` atomically; the returned process can be killed on stop. */
export function grabThumbnail(
  ffmpegPath: string,
  source: ThumbnailSource,
  dir: string,
  width: number,
): { proc: Subprocess; done: Promise<boolean> } {
  const tmp = `${dir}/thumb.tmp.jpg`;
  const input = "path" in source ? source.path : "pipe:0";
  const proc = Bun.spawn([ffmpegPath, ...thumbnailArgs(input, tmp, width)], {
    stdin: "path" in source ? "ignore" : new Blob([source.bytes as Uint8Array<ArrayBuffer>]),
    stdout: "ignore",
    stderr: "ignore",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  const done = proc.exited.then(async (code) => {
    clearTimeout(killer);
    if (code !== 0) return false;
    await rename(tmp, `${dir}/thumb.jpg`);
    return true;
  });
  return { proc, done };
}
