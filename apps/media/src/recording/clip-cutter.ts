import type { ClipCutRequest, ClipCutResult } from "@hearth/contracts";
import type { ThumbnailMaker } from "./recording-thumbnail.ts";
import { usableEntries } from "./recovery.ts";
import { aligned } from "./rung-alignment.ts";
import type { IndexEntry, RecordingMeta, RecordingStorage } from "./storage.ts";
import { indexSeconds } from "./vod-playlist.ts";

/** Why a cut did not happen (the routes map it to 404 / 422). */
export class ClipCutError extends Error {
  constructor(
    readonly reason: "unknown_recording" | "empty_range",
    message: string,
  ) {
    super(message);
  }
}

const end = (e: IndexEntry) => e.pdt + e.duration * 1000;

/**
 * The wall-clock range [fromMs, toMs) a clip covers, on the reference rung's whole segments: `offset` counts
 * seconds along the recording's own timeline (the sum of the segments before, as a player's seek bar shows it),
 * `wall` takes the `durationSeconds` before `endAtMs` by program date-time. A segment is taken whole when its
 * middle falls in the asked range, so the clip is the asked duration within one segment. Null when none does.
 */
export function selectRange(
  entries: readonly IndexEntry[],
  range: ClipCutRequest["range"],
  durationSeconds: number,
): { fromMs: number; toMs: number } | null {
  let picked: IndexEntry[];
  if (range.kind === "offset") {
    const from = range.startSeconds;
    const to = from + durationSeconds;
    let t = 0;
    picked = [];
    for (const e of entries) {
      const mid = t + e.duration / 2;
      t += e.duration;
      if (mid >= from && mid < to) picked.push(e);
    }
  } else {
    picked = segmentsWithin(entries, range.endAtMs - durationSeconds * 1000, range.endAtMs);
  }
  const first = picked[0];
  const last = picked.at(-1);
  return first && last ? { fromMs: first.pdt, toMs: end(last) } : null;
}

/** A rung's segments inside [fromMs, toMs): those whose middle falls in it (rungs cut a few ms apart). */
export function segmentsWithin(entries: readonly IndexEntry[], fromMs: number, toMs: number): IndexEntry[] {
  return entries.filter((e) => {
    const mid = e.pdt + e.duration * 500;
    return mid >= fromMs && mid < toMs;
  });
}

/**
 * Cuts clip `clipId` out of recording `videoId` (live or finished): copies the whole segments covering the range
 * of every rung with their inits (no re-encode), writes the clip's indexes, a thumbnail and its meta.json
 * (ready at once). The copy is the clip's own, so it outlives the recording.
 */
export async function cutClip(
  storage: RecordingStorage,
  req: ClipCutRequest,
  o: { thumbnail?: ThumbnailMaker; now?: () => number } = {},
): Promise<ClipCutResult> {
  const meta = await storage.readMeta("recordings", req.videoId);
  if (!meta) throw new ClipCutError("unknown_recording", "no such recording");
  const reference = meta.rungs[0];
  const stored = new Map<string, IndexEntry[]>();
  for (const r of meta.rungs) stored.set(r.name, await usableEntries(storage, req.videoId, r.name));
  // Offsets count along the recording's timeline as its playlists show it: from the rungs' common start.
  const byRung = aligned(stored);
  const range = reference
    ? selectRange(byRung.get(reference.name) ?? [], req.range, req.durationSeconds)
    : null;
  if (!range) throw new ClipCutError("empty_range", "the range holds no recorded segment");
  // A clip cut again (a retried request) starts from nothing.
  await storage.remove("clips", req.clipId);
  const rungs: RecordingMeta["rungs"] = [];
  let refEntries: IndexEntry[] = [];
  for (const r of meta.rungs) {
    const picked = segmentsWithin(byRung.get(r.name) ?? [], range.fromMs, range.toMs);
    if (picked.length === 0) continue;
    for (const seq of new Set(picked.map((e) => e.initSeq)))
      await storage.copyMedia("recordings", req.videoId, "clips", req.clipId, r.name, { kind: "init", seq });
    for (const e of picked)
      await storage.copyMedia("recordings", req.videoId, "clips", req.clipId, r.name, {
        kind: "segment",
        msn: e.msn,
      });
    // The clip starts clean: its first segment is no joint of its own.
    const first = picked[0];
    if (first) picked[0] = { ...first, discontinuity: false };
    await storage.replaceIndex("clips", req.clipId, r.name, picked);
    rungs.push(r);
    if (r === reference) refEntries = picked;
  }
  const first = refEntries[0];
  if (!first || !reference) throw new ClipCutError("empty_range", "the range holds no recorded segment");
  if (o.thumbnail) {
    const init = await storage.openMedia("clips", req.clipId, reference.name, {
      kind: "init",
      seq: first.initSeq,
    });
    const seg = await storage.openMedia("clips", req.clipId, reference.name, {
      kind: "segment",
      msn: first.msn,
    });
    const jpeg =
      init && seg
        ? await o.thumbnail(
            new Uint8Array(await init.arrayBuffer()),
            new Uint8Array(await seg.arrayBuffer()),
            reference.width,
          )
        : null;
    if (jpeg) await storage.writeThumbnail("clips", req.clipId, jpeg);
  }
  // Without a frame of its own, the recording's preview stands in.
  if (!(await storage.openThumbnail("clips", req.clipId))) {
    const thumb = await storage.openThumbnail("recordings", req.videoId);
    if (thumb) await storage.writeThumbnail("clips", req.clipId, new Uint8Array(await thumb.arrayBuffer()));
  }
  const last = refEntries.at(-1) ?? first;
  await storage.writeMeta("clips", req.clipId, {
    id: req.clipId,
    publicId: meta.publicId,
    node: meta.node,
    session: meta.session,
    state: "ready",
    createdAt: (o.now ?? Date.now)(),
    endedAt: Math.round(end(last)),
    rungs,
    videoId: req.videoId,
  });
  return {
    clipId: req.clipId,
    startedAt: Math.round(first.pdt),
    durationSeconds: indexSeconds(refEntries),
    bytes: await storage.size("clips", req.clipId),
  };
}
