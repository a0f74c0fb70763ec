import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@hearth/server-kit";
import { concatBytes } from "../llhls/concat-bytes.ts";
import { grabThumbnail } from "../thumbnail.ts";

/** Makes a JPEG from init + one independent segment; null when ffmpeg could not (declared by its users). */
export type ThumbnailMaker = (
  init: Uint8Array,
  segment: Uint8Array,
  width: number,
) => Promise<Uint8Array | null>;

/** The live preview's code (one short-lived ffmpeg, one frame) writing into a scratch directory. */
export function ffmpegThumbnailMaker(ffmpegPath: string, logger: Logger): ThumbnailMaker {
  return async (init, segment, width) => {
    const dir = await mkdtemp(join(tmpdir(), "hearth-rec-thumb-"));
    try {
      const even = Math.max(2, Math.min(640, width - (width % 2)));
      const g = grabThumbnail(ffmpegPath, concatBytes([init, segment]), dir, even, logger);
      if (!(await g.done.catch(() => false))) return null;
      return new Uint8Array(await readFile(join(dir, "thumb.jpg")));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
