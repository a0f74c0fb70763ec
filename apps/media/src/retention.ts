import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PublicId } from "@hearth/contracts";
import type { LlhlsRegistry } from "./llhls/llhls-stream.ts";

export interface RetentionOptions {
  /** How long an ended stream's output stays served. */
  seconds: number;
  /** Where each stream's directory (thumb.jpg) lives. */
  hlsDir: string;
  llhls: Pick<LlhlsRegistry, "remove">;
}

/**
 * What an ended stream leaves behind, and when it goes. Its packagers stay registered (playlists with
 * EXT-X-ENDLIST, the window's segments, in memory) and its thumb.jpg stays on disk for the retention
 * period, so players and CDNs can finish the tail; then both are removed together.
 */
export class EndedStreamRetention {
  private readonly pending = new Map<
    string,
    { timer: ReturnType<typeof setTimeout>; settle: (removed: boolean) => void }
  >();

  constructor(private readonly o: RetentionOptions) {}

  /** Removes the stream's output after the retention period: resolves true once removed, false if cancelled. */
  schedule(publicId: string): Promise<boolean> {
    this.cancel(publicId);
    return new Promise((settle) => {
      const timer = setTimeout(async () => {
        // The disk first: once the playlists answer 404 nothing of the stream is left anywhere.
        // force: a directory already gone is fine; nothing else here is worth failing the removal for.
        await rm(join(this.o.hlsDir, publicId), { recursive: true, force: true }).catch(() => {});
        // A new session that started meanwhile cancelled this removal: its packagers stay.
        if (this.pending.get(publicId) !== entry) return;
        this.pending.delete(publicId);
        this.o.llhls.remove(publicId);
        settle(true);
      }, this.o.seconds * 1000);
      timer.unref?.();
      const entry = { timer, settle };
      this.pending.set(publicId, entry);
    });
  }

  /** The stream went live again: the new session's output replaces the old, and nothing is removed. */
  cancel(publicId: string): void {
    const p = this.pending.get(publicId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(publicId);
    p.settle(false);
  }

  /** Node shutdown: nothing more is removed (the next start clears what is left on disk). */
  clear(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
  }
}

/** What a stream's directory may hold: the preview, and its temporary file while one is being written. */
const OUR_FILES = new Set(["thumb.jpg", "thumb.tmp.jpg"]);

/**
 * Removes the stream directories a previous run of the node left in `hlsDir` (its sessions ended when it
 * died). Only directories shaped like ours go: named like a public id, holding nothing but a preview (or
 * an earlier version's `master.m3u8` and rung directories). A mistyped HLS_DIR must not cost anyone their files.
 */
export async function removeLeftovers(hlsDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(hlsDir)) {
    if (!PublicId.safeParse(entry).success) continue;
    const names = await readdir(join(hlsDir, entry)).catch(() => null);
    if (!names) continue;
    if (names.every((n) => OUR_FILES.has(n)) || names.includes("master.m3u8")) {
      await rm(join(hlsDir, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}
