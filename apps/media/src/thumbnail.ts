import { rename } from "node:fs/promises";
import type { Logger } from "@hearth/server-kit";
import { runOnce } from "./ffmpeg-supervisor.ts";

/**
 * The preview image: one frame of the newest segment, scaled to at most 640 px wide. A separate,
 * short-lived ffmpeg every 10 s (decoding one frame costs nothing next to the ladder) keeps the live
 * transcoder free of an extra output that it would only flush every 10 s.
 */
export function thumbnailArgs(out: string, width: number): string[] {
  return [
    "-hide_banner",
    ["-loglevel", "error"],
    // The segment comes from the packager's memory on stdin: init segment, then the media segment.
    // It starts with a keyframe (segments are cut at keyframes), so the first frame decodes on its own.
    ["-i", "pipe:0"],
    ["-frames:v", "1"],
    // Even height for the JPEG encoder; never wider than asked.
    ["-vf", `scale=${width}:-2`],
    // Quality 5 of 31: a ~20-40 kB JPEG at 640x360.
    ["-q:v", "5"],
    ["-f", "image2", "-y", out],
  ].flat();
}

/** A running grab: killed on stop; `exitCode` stays null while it runs. */
export interface ThumbnailGrab {
  proc: { kill(signal?: NodeJS.Signals): void; readonly exitCode: number | null };
  done: Promise<boolean>;
}

/**
 * Grabs a thumbnail of `segment` (fMP4 init + one media segment) into `<dir>/thumb.jpg` atomically, as a
 * one-shot ffmpeg under the node's process supervisor (killed after 5 s); the grab can be killed on stop.
 */
export function grabThumbnail(
  ffmpegPath: string,
  segment: Uint8Array,
  dir: string,
  width: number,
  logger: Logger,
): ThumbnailGrab {
  const tmp = `${dir}/thumb.tmp.jpg`;
  let exitCode: number | null = null;
  const run = runOnce({
    ffmpegPath,
    args: thumbnailArgs(tmp, width),
    stdin: new Blob([segment as Uint8Array<ArrayBuffer>]),
    deadlineMs: 5000,
    logger,
  });
  const done = run.done.then(async (code) => {
    // A grab that was killed or failed counts as ended too: the next one may start.
    exitCode = code ?? -1;
    if (code !== 0) return false;
    await rename(tmp, `${dir}/thumb.jpg`);
    return true;
  });
  return {
    proc: {
      kill: () => run.kill(),
      get exitCode() {
        return exitCode;
      },
    },
    done,
  };
}
