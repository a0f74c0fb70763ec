import { clips, type Database } from "@hearth/db";
import { randomLowerAlnumId } from "@hearth/server-kit";
import { and, desc, eq, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";

export type ClipRow = typeof clips.$inferSelect;
export type NewClip = typeof clips.$inferInsert;

/** Where a page of clips starts: the previous page's last row (newest first). */
export interface ClipCursor {
  createdAt: Date;
  id: string;
}

/** A new clip id: 16 characters of [a-z0-9] (the contract's ClipId), ~82 bits from the CSPRNG. */
export function newClipId(): string {
  return randomLowerAlnumId(16);
}

/** The manager's access to the clips table. */
export function clipStore(db: Database) {
  return {
    async create(c: NewClip): Promise<ClipRow> {
      const [row] = await withDb(() => db.insert(clips).values(c).returning());
      if (!row) throw new Error("insert returned no row");
      return row;
    },

    async get(id: string): Promise<ClipRow | undefined> {
      const [row] = await withDb(() => db.select().from(clips).where(eq(clips.id, id)).limit(1));
      return row;
    },

    /** A page of clips, newest first, of one stream and/or one video when asked. */
    async list(o: {
      publicId?: string;
      videoId?: string;
      limit: number;
      cursor?: ClipCursor;
    }): Promise<ClipRow[]> {
      const after = o.cursor
        ? sql`(${clips.createdAt}, ${clips.id}) < (${o.cursor.createdAt.toISOString()}::timestamptz, ${o.cursor.id})`
        : undefined;
      return withDb(() =>
        db
          .select()
          .from(clips)
          .where(
            and(
              o.publicId === undefined ? undefined : eq(clips.publicId, o.publicId),
              o.videoId === undefined ? undefined : eq(clips.videoId, o.videoId),
              after,
            ),
          )
          .orderBy(desc(clips.createdAt), desc(clips.id))
          .limit(o.limit),
      );
    },

    /** False when it was already gone. */
    async remove(id: string): Promise<boolean> {
      const gone = await withDb(() => db.delete(clips).where(eq(clips.id, id)).returning({ id: clips.id }));
      return gone.length > 0;
    },
  };
}
export type ClipStore = ReturnType<typeof clipStore>;
