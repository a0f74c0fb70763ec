import type { Logger } from "@hearth/server-kit";
import type { ChatService, MediaService } from "./services.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";

export interface StreamEndingDeps {
  store: Pick<StreamStore, "end">;
  media: Pick<MediaService, "remove">;
  chat: Pick<ChatService, "remove">;
  logger: Logger;
}

/**
 * Ends a stream, by its owner (stop_stream) or the operator (/admin): the row is ended first, so its key is
 * refused at once, then media and chat clean up. `onEnded` runs between the two (the directory's cache is
 * dropped there). False when the stream had already ended.
 */
export async function endStream(
  d: StreamEndingDeps,
  row: Pick<StreamRow, "publicId" | "mediaNode">,
  by: "owner" | "operator",
  onEnded: () => void = () => {},
): Promise<boolean> {
  if (!(await d.store.end(row.publicId))) return false;
  onEnded();
  const results = await Promise.allSettled([
    d.media.remove(row.publicId, row.mediaNode),
    d.chat.remove(row.publicId),
  ]);
  for (const res of results)
    if (res.status === "rejected")
      d.logger.warn("stream end: a service did not confirm", {
        publicId: row.publicId,
        by,
        err: (res.reason as Error).message,
      });
  d.logger.info("stream ended", { publicId: row.publicId, by });
  return true;
}
