import { closeSync } from "node:fs";
import { CmafBoxReader } from "./box-reader.ts";
import type { RenditionPackager } from "./rendition-packager.ts";

/**
 * Feeds one input (one ffmpeg output's byte stream) into a rendition's packager until the stream ends,
 * then marks the input ended. Bytes that are not fragmented MP4 stop the input: the error is returned
 * (not thrown) so the caller can log it and let the transcoder restart ffmpeg.
 */
export async function pumpCmaf(
  source: AsyncIterable<Uint8Array>,
  packager: RenditionPackager,
): Promise<Error | null> {
  const reader = new CmafBoxReader({
    onInit: (init) => packager.beginInput(init),
    onFragment: (f) => packager.addFragment(f),
  });
  try {
    for await (const chunk of source) reader.push(chunk);
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    packager.endInput();
  }
}

/**
 * pumpCmaf over an extra pipe of a Bun subprocess (`proc.stdio[n]`). Reading `proc.stdio` hands the
 * descriptor to the caller and Bun does not close it at end of stream, so it is closed here (without
 * this, every ffmpeg restart leaked one descriptor per rung).
 */
export async function pumpCmafFd(fd: number, packager: RenditionPackager): Promise<Error | null> {
  try {
    return await pumpCmaf(Bun.file(fd).stream(), packager);
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}

/** The extra Bun.spawn `stdio` entries for an ffmpeg writing `rungs` CMAF outputs to descriptors 3, 4, …. */
export function cmafExtraStdio(rungs: number): "pipe"[] {
  return Array.from({ length: rungs }, () => "pipe" as const);
}

/**
 * Pumps every rung's pipe of a freshly spawned ffmpeg (`stdio[3 + i]`) into `packagers[i]`; resolves when
 * all pipes have ended, with the error of each rung (null when its stream was clean). Call once per spawn.
 */
export function pumpCmafPipes(
  proc: { readonly stdio: readonly (number | null)[] },
  packagers: RenditionPackager[],
): Promise<(Error | null)[]> {
  return Promise.all(
    packagers.map((packager, i) => {
      const fd = proc.stdio[3 + i];
      if (typeof fd !== "number")
        return Promise.resolve(new Error(`ffmpeg has no pipe on descriptor ${3 + i}`));
      return pumpCmafFd(fd, packager);
    }),
  );
}
