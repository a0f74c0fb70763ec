import type { MediaNodeHeartbeat } from "@hearth/contracts";
import { type Database, mediaNodes, streams } from "@hearth/db";
import { and, eq, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";

export type MediaNodeRow = typeof mediaNodes.$inferSelect;

/** The registry of media nodes that heart-beat to this manager (scale-out). */
export function mediaNodeStore(db: Database, timeoutMs: number) {
  const healthySince = () => new Date(Date.now() - timeoutMs);
  return {
    /** Registers a node or refreshes its heartbeat and addresses; returns how many streams came back live. */
    async heartbeat(h: MediaNodeHeartbeat): Promise<number> {
      const { streams: reported, budget, ...node } = h;
      const live = reported
        .filter((s) => s.phase === "live" || s.phase === "reconnecting")
        .map((s) => s.publicId);
      const values = {
        ...node,
        budgetTotal: budget?.total ?? null,
        budgetUsed: budget?.used ?? null,
        budgetFullLadder: budget?.fullLadder ?? null,
        maxStreams: budget?.maxStreams ?? null,
        heartbeatAt: new Date(),
      };
      await withDb(() =>
        db.insert(mediaNodes).values(values).onConflictDoUpdate({ target: mediaNodes.id, set: values }),
      );
      if (live.length === 0) return 0;
      // Streams a late heartbeat had swept offline, still live here: live again, start time kept.
      const restored = await withDb(() =>
        db
          .update(streams)
          .set({ live: true })
          .where(
            and(
              inArray(streams.publicId, live),
              eq(streams.mediaNode, h.id),
              eq(streams.live, false),
              isNull(streams.endedAt),
            ),
          )
          .returning({ publicId: streams.publicId }),
      );
      return restored.length;
    },

    /** Whether any node has ever registered (else the single MEDIA_INTERNAL_URL node serves). */
    async any(): Promise<boolean> {
      const rows = await withDb(() => db.select({ id: mediaNodes.id }).from(mediaNodes).limit(1));
      return rows.length > 0;
    },

    /** A node by id, healthy or not. */
    async byId(id: string): Promise<MediaNodeRow | undefined> {
      const [row] = await withDb(() => db.select().from(mediaNodes).where(eq(mediaNodes.id, id)).limit(1));
      return row;
    },

    /** A healthy node by id. */
    async healthy(id: string): Promise<MediaNodeRow | undefined> {
      const [row] = await withDb(() =>
        db
          .select()
          .from(mediaNodes)
          .where(and(eq(mediaNodes.id, id), gt(mediaNodes.heartbeatAt, healthySince())))
          .limit(1),
      );
      return row;
    },

    /** The healthy node with the most room: fewest active streams per unit of capacity. */
    async leastLoaded(): Promise<MediaNodeRow | undefined> {
      const active = sql<number>`(select count(*) from ${streams} where ${streams.mediaNode} = ${mediaNodes.id} and ${streams.endedAt} is null)`;
      const [row] = await withDb(() =>
        db
          .select()
          .from(mediaNodes)
          .where(gt(mediaNodes.heartbeatAt, healthySince()))
          .orderBy(sql`${active}::float / ${mediaNodes.capacity}`, mediaNodes.id)
          .limit(1),
      );
      return row;
    },

    /** Marks the streams of nodes that stopped heart-beating offline; returns how many changed. */
    async sweep(): Promise<number> {
      const down = db
        .select({ id: mediaNodes.id })
        .from(mediaNodes)
        .where(lt(mediaNodes.heartbeatAt, healthySince()));
      const rows = await withDb(() =>
        db
          .update(streams)
          .set({ live: false })
          .where(and(eq(streams.live, true), isNull(streams.endedAt), sql`${streams.mediaNode} in ${down}`))
          .returning({ publicId: streams.publicId }),
      );
      return rows.length;
    },
  };
}
export type MediaNodeStore = ReturnType<typeof mediaNodeStore>;

/** The addresses a stream gets on a node. */
export function addressesOn(node: MediaNodeRow, publicId: string) {
  return {
    rtmpServer: node.rtmpServer,
    whipUrl: `${node.whipBase}/${publicId}`,
    hlsUrl: `${node.hlsBase}/${publicId}/master.m3u8`,
  };
}
