import type { RecordingReport } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { RecordingReporter } from "./recording-reporter.ts";
import type { ThumbnailMaker } from "./recording-thumbnail.ts";
import { aligned } from "./rung-alignment.ts";
import type { IndexEntry, RecordingStorage } from "./storage.ts";
import { indexSeconds } from "./vod-playlist.ts";

export interface RecoveryOptions {
  storage: RecordingStorage;
  reporter: RecordingReporter;
  logger: Logger;
  thumbnail?: ThumbnailMaker;
  now?: () => number;
  /** Attempts for each `ready` report (the manager may start after this node). */
  reportAttempts?: number;
}

/** What recovery did to one recording. */
export interface Recovered {
  videoId: string;
  segments: number;
  durationSeconds: number;
  /** Resolves when the manager took the `ready` report (false when it never did). */
  reported: Promise<boolean>;
}

/**
 * A rung's index cut to what is really on disk: the lines up to the first segment whose file is missing (the
 * torn last line is already left out by the parser).
 */
export async function usableEntries(
  storage: RecordingStorage,
  id: string,
  rung: string,
): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  for (const e of await storage.readIndex("recordings", id, rung)) {
    const seg = await storage.openMedia("recordings", id, rung, { kind: "segment", msn: e.msn });
    const init = await storage.openMedia("recordings", id, rung, { kind: "init", seq: e.initSeq });
    if (!seg || seg.size !== e.bytes || !init) break;
    out.push(e);
  }
  return out;
}

/**
 * At node start: every recording whose meta.json still says `recording` belonged to a session that died with
 * the previous process. It becomes a VOD of what was written (each index cut to its last whole segment), and
 * the manager is told `ready` (retried in the background until it answers or the attempts run out).
 */
export async function finaliseUnfinished(o: RecoveryOptions): Promise<Recovered[]> {
  const { storage } = o;
  const now = o.now ?? Date.now;
  const out: Recovered[] = [];
  for (const id of await storage.list("recordings")) {
    const meta = await storage.readMeta("recordings", id);
    if (meta?.state !== "recording") continue;
    try {
      const byRung = new Map<string, IndexEntry[]>();
      for (const r of meta.rungs) {
        const entries = await usableEntries(storage, id, r.name);
        await storage.replaceIndex("recordings", id, r.name, entries);
        byRung.set(r.name, entries);
      }
      const reference = aligned(byRung).get(meta.rungs[0]?.name ?? "") ?? [];
      const last = reference.at(-1);
      const first = reference[0];
      meta.state = "ready";
      meta.endedAt = last ? last.pdt + Math.round(last.duration * 1000) : now();
      if (o.thumbnail && first && !(await storage.openThumbnail("recordings", id))) {
        const rung = meta.rungs[0];
        const init =
          rung &&
          (await storage.openMedia("recordings", id, rung.name, { kind: "init", seq: first.initSeq }));
        const seg =
          rung && (await storage.openMedia("recordings", id, rung.name, { kind: "segment", msn: first.msn }));
        if (rung && init && seg) {
          const jpeg = await o.thumbnail(
            new Uint8Array(await init.arrayBuffer()),
            new Uint8Array(await seg.arrayBuffer()),
            rung.width,
          );
          if (jpeg) await storage.writeThumbnail("recordings", id, jpeg);
        }
      }
      await storage.writeMeta("recordings", id, meta);
      const durationSeconds = indexSeconds(reference);
      const report: RecordingReport = {
        videoId: id,
        publicId: meta.publicId,
        node: meta.node,
        session: meta.session.slice(0, 64),
        state: "ready",
        startedAt: Math.round(first?.pdt ?? meta.createdAt),
        endedAt: Math.round(meta.endedAt),
        durationSeconds,
        bytes: await storage.size("recordings", id),
      };
      o.logger.info("recording finalised after a restart", { videoId: id, segments: reference.length });
      out.push({
        videoId: id,
        segments: reference.length,
        durationSeconds,
        reported: o.reporter.report(report, o.reportAttempts ?? 40),
      });
    } catch (err) {
      o.logger.error("recording recovery failed", { videoId: id, err: String(err) });
    }
  }
  return out;
}
