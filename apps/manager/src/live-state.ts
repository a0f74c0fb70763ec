import type { HeartbeatStream, StreamPhase, StreamStateUpdate } from "@hearth/contracts";
import { type Database, mediaNodes, streams } from "@hearth/db";
import { and, eq, inArray, isNull, lt, notInArray, or, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import type { StreamRow } from "./stream-store.ts";

/** Phases in which viewers are served: the directory shows the stream live. */
export const isLivePhase = (phase: StreamPhase) => phase === "live" || phase === "reconnecting";

/** The rule of `newer` below, on a row already read: lets a heartbeat skip entries that cannot apply. */
export function mayApply(
  stored: { epoch: number; seq: number; session: string | null; live: boolean },
  u: StreamStateUpdate,
): boolean {
  const { epoch, seq, session } = u.origin;
  if (stored.epoch !== epoch) return stored.epoch < epoch;
  if (stored.seq !== seq) return stored.seq < seq;
  return isLivePhase(u.phase) && stored.session === session && !stored.live;
}

/** What became of one state report. */
export type ReportOutcome =
  | { kind: "applied"; row: StreamRow }
  /** Stale, a duplicate, from a node the stream has left, or the stream has ended: nothing changed. */
  | { kind: "ignored" }
  | { kind: "unknown" };

export interface LiveStateOptions {
  /** A node silent this long (or a stream its node stopped listing for this long) is offline. */
  timeoutMs: number;
  /** The clock (ms since 1970); tests move it. */
  now?: () => number;
}

/**
 * The manager's view of which streams are live, kept from the media nodes' ordered reports. The one rule:
 * a report (or a heartbeat's entry) is applied only when its origin `(epoch, seq)` is newer than the stored
 * `(state_epoch, state_seq)`, checked by the UPDATE itself so two reports racing cannot both win; and only from
 * the stream's own node (`media_node`, null in the single-node set-up). So a stale heartbeat, a duplicate, or a
 * late report from a node the stream has left changes nothing.
 *
 * The manager also concludes "offline" on its own (a silent node, a stream its node stopped listing). That
 * leaves the stored origin as it was, so the node's same report, heard again later, may restore the stream:
 * an equal origin is applied when it makes an offline row live again. The stored phase then matches the
 * node's again; every other equal origin is a duplicate and changes nothing.
 */
export function liveStateStore(db: Database, options: LiveStateOptions) {
  const now = options.now ?? Date.now;

  /** The newer-than rule, as SQL on the row being updated. */
  const newer = (u: StreamStateUpdate) => {
    const { epoch, seq, session } = u.origin;
    const strictlyNewer = sql`(${streams.stateEpoch}, ${streams.stateSeq}) < (${epoch}, ${seq})`;
    if (!isLivePhase(u.phase)) return strictlyNewer;
    const sameReportAfterOurOffline = sql`(${streams.stateEpoch} = ${epoch} and ${streams.stateSeq} = ${seq} and ${streams.stateSession} = ${session} and not ${streams.live})`;
    return or(strictlyNewer, sameReportAfterOurOffline);
  };

  /** Applies one report under the rule; the row when it changed. */
  const applyOne = async (publicId: string, u: StreamStateUpdate, at: Date) => {
    const live = isLivePhase(u.phase);
    const [row] = await withDb(() =>
      db
        .update(streams)
        .set({
          live,
          reconnecting: u.phase === "reconnecting",
          // A reconnect or an ffmpeg restart reports live again: the stream keeps its start time.
          startedAt: live
            ? sql`coalesce(case when ${streams.live} then ${streams.startedAt} end, ${at.toISOString()}::timestamptz)`
            : sql`${streams.startedAt}`,
          // Offline keeps the last rungs (history); a live report without rungs keeps the known ones.
          ...(u.rungs.length > 0 ? { rungs: u.rungs } : {}),
          quality: live ? u.quality : null,
          // A publish that made it live answers the streamer's question "why was I refused?".
          ...(live ? { refusal: null } : {}),
          stateNode: u.origin.node,
          stateSession: u.origin.session,
          stateEpoch: u.origin.epoch,
          stateSeq: u.origin.seq,
          stateAt: at,
        })
        .where(
          and(
            eq(streams.publicId, publicId),
            isNull(streams.endedAt),
            or(isNull(streams.mediaNode), eq(streams.mediaNode, u.origin.node)),
            newer(u),
          ),
        )
        .returning(),
    );
    return row;
  };

  return {
    /** Applies a state report (POST /internal/streams/:publicId/state). */
    async report(publicId: string, u: StreamStateUpdate): Promise<ReportOutcome> {
      const row = await applyOne(publicId, u, new Date(now()));
      if (row) return { kind: "applied", row };
      const [known] = await withDb(() =>
        db.select({ id: streams.publicId }).from(streams).where(eq(streams.publicId, publicId)).limit(1),
      );
      return known ? { kind: "ignored" } : { kind: "unknown" };
    },

    /**
     * Reconciles a node's heartbeat with the table, both ways: each listed stream under the report rule
     * (restoring a live stream the manager missed); a stream the manager believes live on this node that the
     * node has not listed (nor reported) for `timeoutMs` goes offline. Returns how many rows changed.
     */
    async reconcile(node: string, listed: readonly HeartbeatStream[]): Promise<number> {
      const at = new Date(now());
      const ids = listed.map((s) => s.publicId);
      // Most entries repeat what is stored: one read finds the few that may be newer, and only those are
      // written (each still under the rule in its own UPDATE, which is what decides).
      const stored = new Map(
        ids.length === 0
          ? []
          : (
              await withDb(() =>
                db
                  .select({
                    publicId: streams.publicId,
                    epoch: streams.stateEpoch,
                    seq: streams.stateSeq,
                    session: streams.stateSession,
                    live: streams.live,
                  })
                  .from(streams)
                  .where(inArray(streams.publicId, ids)),
              )
            ).map((r) => [r.publicId, r]),
      );
      let changed = 0;
      for (const { publicId, ...u } of listed) {
        if (u.origin.node !== node) continue; // a node speaks only for itself
        const s = stored.get(publicId);
        if (!s || !mayApply(s, u)) continue;
        if (await applyOne(publicId, u, at)) changed++;
      }
      const mine = and(eq(streams.mediaNode, node), isNull(streams.endedAt));
      // The node still has these: they are not "unlisted" whatever their phase.
      if (ids.length > 0)
        await withDb(() =>
          db
            .update(streams)
            .set({ stateAt: at })
            .where(and(mine, inArray(streams.publicId, ids))),
        );
      // A report sent after this heartbeat was built refreshes state_at: the timeout spares it.
      const cutoff = new Date(at.getTime() - options.timeoutMs);
      const gone = await withDb(() =>
        db
          .update(streams)
          .set({ live: false, reconnecting: false, quality: null })
          .where(
            and(
              mine,
              eq(streams.live, true),
              ids.length > 0 ? notInArray(streams.publicId, ids) : undefined,
              or(isNull(streams.stateAt), lt(streams.stateAt, cutoff)),
            ),
          )
          .returning({ publicId: streams.publicId }),
      );
      return changed + gone.length;
    },

    /** Shows offline the live streams of nodes silent for `timeoutMs`; returns how many changed. */
    async sweep(): Promise<number> {
      const cutoff = new Date(now() - options.timeoutMs);
      const silent = db
        .select({ id: mediaNodes.id })
        .from(mediaNodes)
        .where(lt(mediaNodes.heartbeatAt, cutoff));
      const rows = await withDb(() =>
        db
          .update(streams)
          .set({ live: false, reconnecting: false, quality: null })
          .where(and(eq(streams.live, true), isNull(streams.endedAt), inArray(streams.mediaNode, silent)))
          .returning({ publicId: streams.publicId }),
      );
      return rows.length;
    },
  };
}
export type LiveStateStore = ReturnType<typeof liveStateStore>;
