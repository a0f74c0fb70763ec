import type { LadderConfig } from "@hearth/contracts";
import { type PlannedRung, planLadder, type SourceInfo } from "./ladder.ts";

/**
 * The ladder for a publisher that comes back into a running session, maybe at another size or codec. The
 * session's rungs stay what viewers were given (same names, same encoded sizes, so the master playlist and
 * every variant URL stay valid): the source rung follows the new source (copied when it can be, its new
 * size told by its new init segment), and each scaled rung keeps its size, scaled from the new source.
 */
export function rejoinLadder(
  session: readonly PlannedRung[],
  ladder: LadderConfig,
  source: SourceInfo,
): PlannedRung[] {
  const fresh = planLadder(ladder, source);
  const freshSource = fresh[0] as PlannedRung;
  return session.map((r) => {
    if (r.name === "source") return freshSource;
    const kbps = r.video.mode === "encode" ? r.video.kbps : ladder.sourceKbps;
    // A rung the new source is too small for keeps its audio settings from the session's plan.
    const audio: PlannedRung["audio"] =
      source.audioCodec === null
        ? null
        : (fresh.find((f) => f.name === r.name)?.audio ?? r.audio ?? { mode: "encode", kbps: 128 });
    return { ...r, video: { mode: "encode", kbps, scale: true }, audio };
  });
}
