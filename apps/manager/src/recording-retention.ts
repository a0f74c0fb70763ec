import type { Logger } from "@hearth/server-kit";
import { periodicSweep } from "./periodic-sweep.ts";
import type { Clock } from "./rate-limit.ts";
import { deleteVideo, type VideoDeletionDeps } from "./video-deletion.ts";
import type { VideoStore } from "./video-store.ts";

export interface RecordingRetentionOptions extends Omit<VideoDeletionDeps, "videos" | "clock"> {
  videos: Pick<VideoStore, "remove" | "finaliseSilent" | "endedBefore" | "oldestReady" | "totalBytes">;
  logger: Logger;
  clock: Clock;
  /** Finished videos older than this (since they ended) are deleted; 0 keeps them forever. */
  retentionMs: number;
  /** Past this many bytes of recordings in all, the oldest finished videos are deleted; 0 is no cap. */
  maxBytes: number;
  /** A recording not reported for this long is finished as it stands (its node died): NODE_TIMEOUT_MS. */
  nodeTimeoutMs: number;
  /** Videos looked at per step, so one sweep stays a few short statements. */
  batch?: number;
}

export interface RetentionSweep {
  finalised: number;
  deleted: number;
}

/**
 * Keeps recordings within the operator's limits: a recording whose node went silent is finished (so it can be
 * watched, and counted), finished videos past RECORDING_RETENTION_DAYS go, then the oldest go while all of them
 * hold more than RECORDING_MAX_BYTES. Deletion is the owner's path (files, chat, row); a video a service could not
 * delete is kept and tried again next sweep.
 */
export function recordingRetention(o: RecordingRetentionOptions) {
  const batch = o.batch ?? 100;
  const deletion: VideoDeletionDeps = { ...o, videos: o.videos, clock: o.clock };

  /** Deletes one video; false when a service refused (it stays, it is logged by the deletion path). */
  const drop = async (row: Parameters<typeof deleteVideo>[1], why: string) => {
    try {
      await deleteVideo(deletion, row, `retention:${why}`);
      return true;
    } catch {
      return false;
    }
  };

  async function sweepOnce(): Promise<RetentionSweep> {
    const now = o.clock();
    const finalised = await o.videos.finaliseSilent(new Date(now - o.nodeTimeoutMs));
    if (finalised > 0) {
      o.onDeleted();
      o.logger.info("silent recordings finalised", { count: finalised });
    }
    let deleted = 0;
    if (o.retentionMs > 0) {
      for (const row of await o.videos.endedBefore(new Date(now - o.retentionMs), batch))
        if (await drop(row, "age")) deleted++;
    }
    if (o.maxBytes > 0) {
      let total = await o.videos.totalBytes();
      // Strictly oldest first: when the oldest cannot be deleted now (its node is down), the sweep stops rather
      // than delete newer broadcasts in its place; the next sweep tries it again.
      for (const row of total > o.maxBytes ? await o.videos.oldestReady(batch) : []) {
        if (total <= o.maxBytes || !(await drop(row, "size"))) break;
        deleted++;
        total -= row.bytes;
      }
    }
    if (deleted > 0) o.logger.info("recordings removed by retention", { count: deleted });
    return { finalised, deleted };
  }

  /** sweep() returns what it finalised and deleted. */
  return periodicSweep(sweepOnce, o.logger, "recording retention sweep");
}
export type RecordingRetention = ReturnType<typeof recordingRetention>;
