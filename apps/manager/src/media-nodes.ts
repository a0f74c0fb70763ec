import { hlsMasterUrl, type MediaNodeHeartbeat, whipUrl } from "@hearth/contracts";
import { type Database, mediaNodes, streams } from "@hearth/db";
import { and, eq, gt, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import { chooseNode, type NodeLoad } from "./placement.ts";

export type MediaNodeRow = typeof mediaNodes.$inferSelect;

export interface MediaNodeOptions {
  /** A node that has not heart-beaten for this long is down. */
  timeoutMs: number;
  /** The clock (ms since 1970); tests move it. */
  now?: () => number;
  /** How long a stream assigned to a node and not live yet counts as a publisher on its way. */
  pendingMs?: number;
}

/** The registry of media nodes that heart-beat to this manager (scale-out), and where new streams go. */
export function mediaNodeStore(db: Database, options: MediaNodeOptions) {
  const now = options.now ?? Date.now;
  const healthySince = () => new Date(now() - options.timeoutMs);
  const pendingSince = () => new Date(now() - (options.pendingMs ?? 5 * 60_000));
  return {
    /** Registers a node or refreshes its heartbeat, addresses and budget (its streams: see live-state). */
    async heartbeat(h: MediaNodeHeartbeat): Promise<void> {
      const { streams: _listed, budget, ...node } = h;
      const values = {
        ...node,
        budgetTotal: budget?.total ?? null,
        budgetUsed: budget?.used ?? null,
        budgetFullLadder: budget?.fullLadder ?? null,
        maxStreams: budget?.maxStreams ?? null,
        heartbeatAt: new Date(now()),
      };
      await withDb(() =>
        db.insert(mediaNodes).values(values).onConflictDoUpdate({ target: mediaNodes.id, set: values }),
      );
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

    /** Every healthy node with its streams and budget, as placement sees them. */
    async loads(): Promise<(NodeLoad & { row: MediaNodeRow })[]> {
      const on = sql`${streams.mediaNode} = ${mediaNodes.id} and ${streams.endedAt} is null`;
      const rows = await withDb(() =>
        db
          .select({
            row: mediaNodes,
            active: sql<number>`(select count(*) from ${streams} where ${on})`.mapWith(Number),
            live: sql<number>`(select count(*) from ${streams} where ${on} and ${streams.live})`.mapWith(
              Number,
            ),
            pending:
              sql<number>`(select count(*) from ${streams} where ${on} and not ${streams.live} and ${streams.createdAt} > ${pendingSince().toISOString()}::timestamptz)`.mapWith(
                Number,
              ),
          })
          .from(mediaNodes)
          .where(gt(mediaNodes.heartbeatAt, healthySince())),
      );
      return rows.map(({ row, active, live, pending }) => ({
        row,
        id: row.id,
        capacity: row.capacity,
        active,
        live,
        pending,
        budget:
          row.budgetTotal === null || row.budgetUsed === null || row.budgetFullLadder === null
            ? null
            : {
                total: row.budgetTotal,
                used: row.budgetUsed,
                fullLadder: row.budgetFullLadder,
                maxStreams: row.maxStreams ?? 0,
              },
      }));
    },

    /** The healthy node a new stream should go to (see placement.ts). */
    async place(): Promise<MediaNodeRow | undefined> {
      return chooseNode(await this.loads())?.row;
    },
  };
}
export type MediaNodeStore = ReturnType<typeof mediaNodeStore>;

/** The addresses a stream gets on a node. */
export function addressesOn(node: MediaNodeRow, publicId: string) {
  return {
    rtmpServer: node.rtmpServer,
    whipUrl: whipUrl(node.whipBase, publicId),
    hlsUrl: hlsMasterUrl(node.hlsBase, publicId),
  };
}
