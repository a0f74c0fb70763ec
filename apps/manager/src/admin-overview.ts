import type { AdminNode, AdminOverview, AdminStream, StreamCreationPolicy } from "@hearth/contracts";
import { type Database, mediaNodes, streams } from "@hearth/db";
import { desc, isNull, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import type { Clock } from "./rate-limit.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

export interface OverviewDeps {
  db: Database;
  viewers: ViewerCounts;
  clock: Clock;
  policy: StreamCreationPolicy;
  /** A node silent for longer is shown unhealthy (NODE_TIMEOUT_MS). */
  nodeTimeoutMs: number;
  /** Streams shown at most (the instance cap keeps the real number bounded anyway). */
  maxStreams?: number;
}

/** What the operator's page shows: the creation policy, media nodes with their budget, streams not ended. */
export async function adminOverview(d: OverviewDeps): Promise<AdminOverview> {
  const active = sql<number>`(select count(*)::int from ${streams} where ${streams.mediaNode} = ${mediaNodes.id} and ${streams.endedAt} is null)`;
  const [nodeRows, streamRows] = await Promise.all([
    withDb(() =>
      d.db
        .select({
          id: mediaNodes.id,
          heartbeatAt: mediaNodes.heartbeatAt,
          budgetTotal: mediaNodes.budgetTotal,
          budgetUsed: mediaNodes.budgetUsed,
          streams: active,
        })
        .from(mediaNodes)
        .orderBy(mediaNodes.id),
    ),
    withDb(() =>
      d.db
        .select()
        .from(streams)
        .where(isNull(streams.endedAt))
        .orderBy(desc(streams.live), desc(streams.createdAt), desc(streams.publicId))
        .limit(d.maxStreams ?? 1000),
    ),
  ]);
  const healthySince = d.clock() - d.nodeTimeoutMs;
  const nodes: AdminNode[] = nodeRows.map((n) => ({
    id: n.id,
    healthy: n.heartbeatAt.getTime() > healthySince,
    heartbeatAt: n.heartbeatAt.toISOString(),
    streams: Number(n.streams),
    budgetTotal: n.budgetTotal,
    budgetUsed: n.budgetUsed,
  }));
  const list: AdminStream[] = streamRows.map((s) => ({
    publicId: s.publicId,
    name: s.name,
    live: s.live,
    reconnecting: s.reconnecting,
    node: s.mediaNode,
    rungs: s.live ? s.rungs.map((r) => r.name) : [],
    quality: s.live ? (s.quality?.level ?? null) : null,
    realtime: s.quality?.realtime ?? true,
    viewers: s.live ? d.viewers.get(s.publicId) : 0,
    createdAt: s.createdAt.toISOString(),
    startedAt: s.startedAt?.toISOString() ?? null,
  }));
  return { policy: d.policy, nodes, streams: list };
}
