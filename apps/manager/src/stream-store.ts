import { type Database, type StoredRefusal, streams } from "@hearth/db";
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
  /** The client key the creation counted against (creation-policy.ts); null for the admin's or when unknown. */
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
          .set({ endedAt: new Date(), live: false, reconnecting: false, quality: null })
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt)))
          .returning({ publicId: streams.publicId }),
      );
      return rows.length > 0;
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
          // A new node starts a new story: its reports are the only ones heard from now on (the old node's
          // are refused by node), and its clock need not agree with the old one's, so the order starts over.
          .set({
            mediaNode: node,
            ...addr,
            live: false,
            reconnecting: false,
            quality: null,
            stateNode: null,
            stateSession: null,
            stateEpoch: 0,
            stateSeq: 0,
          })
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt)))
          .returning(),
      );
      return row;
    },

    /** Turns recording of the stream's next broadcasts on or off; the row, or undefined when unknown. */
    async setRecording(publicId: string, recording: boolean): Promise<StreamRow | undefined> {
      const [row] = await withDb(() =>
        db.update(streams).set({ recording }).where(eq(streams.publicId, publicId)).returning(),
      );
      return row;
    },

    /**
     * Keeps a media node's refusal of the stream's newest publish (shown until the stream goes live); false when
     * the stream is unknown, ended or live (a refusal of a second publisher says nothing about the live one).
     */
    async setRefusal(publicId: string, refusal: StoredRefusal): Promise<boolean> {
      const rows = await withDb(() =>
        db
          .update(streams)
          .set({ refusal })
          .where(and(eq(streams.publicId, publicId), isNull(streams.endedAt), eq(streams.live, false)))
          .returning({ id: streams.publicId }),
      );
      return rows.length > 0;
    },

    /** A cheap round trip, for readiness. */
    async ping(): Promise<void> {
      await db.execute(sql`select 1`);
    },
  };
}
export type StreamStore = ReturnType<typeof streamStore>;
