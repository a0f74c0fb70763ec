import { type Database, streams } from "@hearth/db";
import type { Logger } from "@hearth/server-kit";
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import { periodicSweep } from "./periodic-sweep.ts";
import type { Clock } from "./rate-limit.ts";
import type { ChatService, MediaService } from "./services.ts";

export interface IdleStreamOptions {
  db: Database;
  media: Pick<MediaService, "remove">;
  chat: Pick<ChatService, "remove">;
  logger: Logger;
  clock: Clock;
  /** A stream created this long ago that has never gone live (and was not ended) is removed. */
  ttlMs: number;
  /** Rows removed per sweep at most, so one sweep stays one short statement. */
  batch?: number;
  /** Told after a sweep removed streams: the directory's page cache drops its pages, which may list them. */
  onRemoved?: () => void;
}

/**
 * Removes streams that were created and never went live within STREAM_IDLE_TTL: they hold a slot of their
 * creator's cap and a row in the directory for nothing. Ended streams, and streams that ever went live, keep their
 * history. The row goes first (its key stops verifying at once), then media and chat forget the stream.
 */
export function idleStreamSweeper(o: IdleStreamOptions) {
  const batch = o.batch ?? 500;

  async function sweepOnce(): Promise<number> {
    const cutoff = new Date(o.clock() - o.ttlMs);
    const idle = o.db
      .select({ publicId: streams.publicId })
      .from(streams)
      .where(
        and(
          isNull(streams.endedAt),
          isNull(streams.startedAt),
          eq(streams.live, false),
          lt(streams.createdAt, cutoff),
        ),
      )
      .limit(batch);
    // The conditions are repeated on the delete: a stream that went live since the select is kept.
    const removed = await withDb(() =>
      o.db
        .delete(streams)
        .where(
          and(
            inArray(streams.publicId, idle),
            isNull(streams.endedAt),
            isNull(streams.startedAt),
            eq(streams.live, false),
          ),
        )
        .returning({ publicId: streams.publicId, mediaNode: streams.mediaNode }),
    );
    // Before the services are told (they may be slow): the directory stops listing the streams at once.
    if (removed.length > 0) o.onRemoved?.();
    for (const r of removed) {
      const results = await Promise.allSettled([
        o.media.remove(r.publicId, r.mediaNode),
        o.chat.remove(r.publicId),
      ]);
      for (const res of results)
        if (res.status === "rejected")
          o.logger.warn("idle stream: a service did not confirm its removal", {
            publicId: r.publicId,
            err: (res.reason as Error).message,
          });
    }
    if (removed.length > 0) o.logger.info("idle streams removed", { count: removed.length });
    return removed.length;
  }

  /** sweep() returns how many streams were removed. */
  return periodicSweep(sweepOnce, o.logger, "idle stream sweep");
}
export type IdleStreamSweeper = ReturnType<typeof idleStreamSweeper>;
