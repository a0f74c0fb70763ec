import { HttpError, type Logger } from "@hearth/server-kit";
import type { RecordingFiles } from "./recording-files.ts";
import type { ChatService } from "./services.ts";
import type { VideoRow, VideoStore } from "./video-store.ts";

export interface VideoDeletionDeps {
  videos: Pick<VideoStore, "remove">;
  files: Pick<RecordingFiles, "deleteRecording">;
  chat: Pick<ChatService, "deleteMessages">;
  logger: Logger;
  clock: () => number;
  /** Called once the row is gone (the cached lists are dropped there). */
  onDeleted(): void;
}

/**
 * Deletes a video: its files on its media node, then its broadcast's chat, then its row (its clips keep their own
 * copies and forget it). The row goes last, so a service that cannot be reached costs nothing: the answer is 503
 * with the video still listed, and the same delete can be asked again (both services' deletes are idempotent).
 * The owner's DELETE and retention both come here.
 */
export async function deleteVideo(d: VideoDeletionDeps, row: VideoRow, by: string): Promise<void> {
  const step = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      d.logger.warn("video deletion: a service did not confirm; the video is kept", {
        videoId: row.id,
        step: what,
        by,
        err: (err as Error).message,
      });
      throw new HttpError(
        503,
        "upstream_unavailable",
        `the ${what} could not be deleted now; the video is kept, try again shortly`,
        { "Retry-After": "5" },
      );
    }
  };
  await step("recording's files", () => d.files.deleteRecording(row.node, row.id));
  // Chat refuses a range that ends before it starts: the end is the manager's clock, the start the node's.
  const to = Math.max(row.startedAt.getTime(), row.endedAt?.getTime() ?? d.clock());
  await step("broadcast's chat", () => d.chat.deleteMessages(row.publicId, row.startedAt.getTime(), to));
  if (await d.videos.remove(row.id)) d.onDeleted();
  d.logger.info("video deleted", { videoId: row.id, publicId: row.publicId, by });
}
