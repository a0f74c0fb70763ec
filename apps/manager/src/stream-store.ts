import { type Database, type StoredRung, streams } from "@hearth/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import { hashKey } from "./stream-key.ts";

export type StreamRow = typeof streams.$inferSelect;

/** Where a directory page starts: the sort key of the last row of the previous page. */
export interface DirectoryCursor {
  live: boolean;
  createdAt: Date;
  publicId: string;
}

export interface NewStream {
  publicId: string;
  privateId: string;
  name: string;
  mediaNode: string | null;
  rtmpServer: string;
  whipUrl: string;
  hlsUrl: string;
  chatUrl: string;
  /** The client key the creation counted against (creation-policy.ts); null for the admin's. */
  creatorIp?: string | null;
}

/** The manager's access to the streams table: every query it makes, in one place. */
export function streamStore(db: Database) {
  return {
    /** Inserts a new stream; only the key's hash is stored. */
    async create(s: NewStream): Promise<StreamRow> {
      const { privateId, ...rest } = s;
      const [row] = await withDb(() =>
        db
          .insert(streams)
          .values({ ...rest, keyHash: hashKey(privateId) })
          .returning(),
      );
      if (!row) throw new Error("insert returned no row");
      return row;
    },

    /** One page of the directory: not ended, live first, then newest. */
    async list(limit: number, cursor: DirectoryCursor | undefined): Promise<StreamRow[]> {
      const after = cursor
        ? sql`(${streams.live}, ${streams.createdAt}, ${streams.publicId}) < (${cursor.live}, ${cursor.createdAt.toISOString()}::timestamptz, ${cursor.publicId})`
        : undefined;
      return withDb(() =>
        db
          .select()
          .from(streams)
          .where(and(isNull(streams.endedAt), after))
          .orderBy(desc(streams.live), desc(streams.createdAt), desc(streams.publicId))
          .limit(limit),
      );
    },

    /** A stream by its public id, ended or not. */
    async get(publicId: string): Promise<StreamRow | undefined> {
      const [row] = await withDb(() =>
        db.select().from(streams).where(eq(streams.publicId, publicId)).limit(1),
      );
      return row;
    },

    /** The stream a key belongs to, when that stream has not ended. */
    async byKey(key: string): Promise<StreamRow | undefined> {
      const [row] = await withDb(() =>
        db
          .select()
          .from(streams)
          .where(and(eq(streams.keyHash, hashKey(key)), isNull(streams.endedAt)))
          .limit(1),
      );
      return row;
    },

    /** Marks a stream ended (history is kept); false when it had already ended. */
    async end(publicId: string): Promise<boolean> {
      const rows = await withDb(() =>
        db
          .update(streams)
          .set({ endedAt: new Date(), live: false })
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt)))
          .returning({ publicId: streams.publicId }),
      );
      return rows.length > 0;
    },

    /** Records a live/offline transition reported by the media node; ended streams stay ended. */
    async setLive(publicId: string, live: boolean, rungs: StoredRung[]): Promise<StreamRow | undefined> {
      const [row] = await withDb(() =>
        db
          .update(streams)
          .set(
            live
              ? // A restart of ffmpeg reports "live" again: keep the original start time.
                {
                  live: true,
                  startedAt: sql`coalesce(case when ${streams.live} then ${streams.startedAt} end, now())`,
                  rungs,
                }
              : { live: false, ...(rungs.length > 0 ? { rungs } : {}) },
          )
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt)))
          .returning(),
      );
      return row;
    },

    /** Moves a stream that is not live to another media node (scale-out fail-over), with its new addresses. */
    async moveTo(
      publicId: string,
      node: string,
      addr: { rtmpServer: string; whipUrl: string; hlsUrl: string },
    ): Promise<StreamRow | undefined> {
      const [row] = await withDb(() =>
        db
          .update(streams)
          .set({ mediaNode: node, ...addr, live: false })
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt)))
          .returning(),
      );
      return row;
    },

    /** A cheap round trip, for readiness. */
    async ping(): Promise<void> {
      await db.execute(sql`select 1`);
    },
  };
}
export type StreamStore = ReturnType<typeof streamStore>;
