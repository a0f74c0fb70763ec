import type { Subprocess } from "bun";
import { grabThumbnail } from "./thumbnail.ts";

export interface ThumbnailPollerOptions {
  ffmpegPath: string;
  /** The stream's directory: thumb.jpg is written there. */
  dir: string;
  /** Init + the newest independent segment of the rung the preview is taken from; null before one exists. */
  latest(): Uint8Array | null;
  /** Preview width, even, at most 640. */
  width(): number;
  everyMs: number;
  now?: () => number;
}

/** Keeps a stream's thumb.jpg fresh: one short-lived ffmpeg grab at most every `everyMs`, one at a time. */
export class ThumbnailPoller {
  private grab: { proc: Subprocess; at: number } | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: ThumbnailPollerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Starts a grab when the last one is done and old enough, and a segment exists. */
  poll(): void {
    if (this.stopped) return;
    const now = this.now();
    if (this.grab && (this.grab.proc.exitCode === null || now - this.grab.at < this.o.everyMs)) return;
    const latest = this.o.latest();
    if (!latest) return;
    const g = grabThumbnail(this.o.ffmpegPath, latest, this.o.dir, this.o.width());
    this.grab = { proc: g.proc, at: now };
    void g.done.catch(() => {});
  }

  /** No more grabs; a running one is killed. */
  stop(): void {
    this.stopped = true;
    this.grab?.proc.kill("SIGKILL");
  }
}
