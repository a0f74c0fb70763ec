import type { RecordingReport } from "@hearth/contracts";
import { clips, type Database, streams, videos } from "@hearth/db";
import { and, asc, desc, eq, getTableColumns, lt, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import type { Clock } from "./rate-limit.ts";

export type VideoRow = typeof videos.$inferSelect;
/** A video with its stream's chat address (its replay URL is built from it). */
export type ListedVideo = VideoRow & { chatUrl: string };

/** Where a page of videos starts: the sort key of the previous page's last row (newest first). */
export interface VideoCursor {
  startedAt: Date;
  id: string;
}

/** What a report adds to what the node said: known by the manager only. */
export interface ReportContext {
  /** The stream's name now: the title when this is the video's first report. */
  title: string;
  /** The reporting node's public HLS base: kept from the first report. */
  hlsBase: string;
  /** The stream's viewers now (peak tracking while recording). */
  viewers: number;
}

/** The manager's access to the videos table (and the clips that point at a video). */
export function videoStore(db: Database, clock: Clock = Date.now) {
  const listed = async (where: ReturnType<typeof and>, limit: number): Promise<ListedVideo[]> => {
    const rows = await withDb(() =>
      db
        .select({ video: videos, chatUrl: streams.chatUrl })
        .from(videos)
        .innerJoin(streams, eq(streams.publicId, videos.publicId))
        .where(where)
        .orderBy(desc(videos.startedAt), desc(videos.id))
        .limit(limit),
    );
    return rows.map((r) => ({ ...r.video, chatUrl: r.chatUrl }));
  };

  return {
    /**
     * Upserts a video from its node's report. Title, node, session, start and HLS base come from the first
     * report; a `recording` report never turns a `ready` video back (reports may arrive out of order); while
     * recording, duration and size only grow and the peak takes the stream's current viewers. Returns the row and
     * whether something the public lists changed (a new video, or one that became ready).
     */
    async report(r: RecordingReport, ctx: ReportContext): Promise<{ row: VideoRow; changed: boolean }> {
      const now = new Date(clock());
      const peak = r.state === "recording" ? ctx.viewers : 0;
      const rows = await withDb(() =>
        db
          .insert(videos)
          .values({
            id: r.videoId,
            publicId: r.publicId,
            title: ctx.title,
            node: r.node,
            session: r.session,
            state: r.state,
            startedAt: new Date(r.startedAt),
            endedAt: r.endedAt === null ? null : new Date(r.endedAt),
            durationSeconds: r.durationSeconds,
            bytes: r.bytes,
            peakViewers: peak,
            hlsBase: ctx.hlsBase,
            reportedAt: now,
          })
          .onConflictDoUpdate({
            target: videos.id,
            set: {
              state: sql`excluded.state`,
              endedAt: sql`excluded.ended_at`,
              // The final report is the truth; before it, a late report must not shrink what was recorded.
              durationSeconds: sql`case when excluded.state = 'ready' then excluded.duration_seconds else greatest(${videos.durationSeconds}, excluded.duration_seconds) end`,
              bytes: sql`case when excluded.state = 'ready' then excluded.bytes else greatest(${videos.bytes}, excluded.bytes) end`,
              peakViewers: sql`greatest(${videos.peakViewers}, excluded.peak_viewers)`,
              reportedAt: now,
            },
            // A late `recording` report of a finished video changes nothing.
            setWhere: sql`not (${videos.state} = 'ready' and excluded.state = 'recording')`,
          })
          .returning({ ...getTableColumns(videos), inserted: sql<boolean>`(xmax = 0)` }),
      );
      const hit = rows[0];
      // Lists change when a video appears or finishes; a growing recording's numbers are read fresh anyway.
      if (hit) {
        const { inserted, ...row } = hit;
        return { row, changed: inserted || r.state === "ready" };
      }
      // Nothing updated: the late report of a ready video; the row is as it was.
      const row = await this.get(r.videoId);
      if (!row) throw new Error(`video ${r.videoId} vanished during its report`);
      return { row, changed: false };
    },

    /** A video by id. */
    async get(id: string): Promise<VideoRow | undefined> {
      const [row] = await withDb(() => db.select().from(videos).where(eq(videos.id, id)).limit(1));
      return row;
    },

    /** A video by id with its stream's chat address. */
    async listed(id: string): Promise<ListedVideo | undefined> {
      return (await listed(eq(videos.id, id), 1))[0];
    },

    /**
     * A page of videos, newest first. Without a stream: every stream's finished videos; with one: its videos,
     * the one recording now included.
     */
    async list(o: { publicId?: string; limit: number; cursor?: VideoCursor }): Promise<ListedVideo[]> {
      const after = o.cursor
        ? sql`(${videos.startedAt}, ${videos.id}) < (${o.cursor.startedAt.toISOString()}::timestamptz, ${o.cursor.id})`
        : undefined;
      const which = o.publicId === undefined ? eq(videos.state, "ready") : eq(videos.publicId, o.publicId);
      return listed(and(which, after), o.limit);
    },

    /** The video recording a live session (the stream's DVR), if any. */
    async recordingOf(publicId: string, session: string): Promise<VideoRow | undefined> {
      const [row] = await withDb(() =>
        db
          .select()
          .from(videos)
          .where(
            and(eq(videos.publicId, publicId), eq(videos.session, session), eq(videos.state, "recording")),
          )
          .orderBy(desc(videos.startedAt))
          .limit(1),
      );
      return row;
    },

    /** Deletes a video's row; its clips stay and forget it. False when it was already gone. */
    async remove(id: string): Promise<boolean> {
      return withDb(() =>
        db.transaction(async (tx) => {
          await tx.update(clips).set({ videoId: null }).where(eq(clips.videoId, id));
          const gone = await tx.delete(videos).where(eq(videos.id, id)).returning({ id: videos.id });
          return gone.length > 0;
        }),
      );
    },

    /**
     * Finishes recordings whose node has not reported since `before` (it died or lost them): they become
     * ready with what was last reported, ending when they were last heard of. Returns how many.
     */
    async finaliseSilent(before: Date): Promise<number> {
      const rows = await withDb(() =>
        db
          .update(videos)
          .set({ state: "ready", endedAt: sql`${videos.reportedAt}` })
          .where(and(eq(videos.state, "recording"), lt(videos.reportedAt, before)))
          .returning({ id: videos.id }),
      );
      return rows.length;
    },

    /** Finished videos that ended before `before`, oldest first. */
    async endedBefore(before: Date, limit: number): Promise<VideoRow[]> {
      return withDb(() =>
        db
          .select()
          .from(videos)
          .where(and(eq(videos.state, "ready"), lt(videos.endedAt, before)))
          .orderBy(asc(videos.startedAt), asc(videos.id))
          .limit(limit),
      );
    },

    /** Finished videos, oldest first. */
    async oldestReady(limit: number): Promise<VideoRow[]> {
      return withDb(() =>
        db
          .select()
          .from(videos)
          .where(eq(videos.state, "ready"))
          .orderBy(asc(videos.startedAt), asc(videos.id))
          .limit(limit),
      );
    },

    /** Bytes every video holds on the media nodes. */
    async totalBytes(): Promise<number> {
      const [row] = await withDb(() =>
        db.select({ n: sql<number>`coalesce(sum(${videos.bytes}), 0)`.mapWith(Number) }).from(videos),
      );
      return row?.n ?? 0;
    },
  };
}
export type VideoStore = ReturnType<typeof videoStore>;
