import HLS from "hls-parser";

/** One parsed variant playlist, as the conformance checks saw it. */
export type ParsedMediaPlaylist = HLS.types.MediaPlaylist;

const EPS = 1e-3;

/**
 * Test support: parses a variant playlist with hls-parser in strict mode (which enforces many LL-HLS
 * rules itself) and checks the rest of Hearth's promises; throws with the first broken rule.
 */
export function checkLlhlsPlaylist(text: string): ParsedMediaPlaylist {
  HLS.setOptions({ strictMode: true, silent: true });
  let parsed: ReturnType<typeof HLS.parse>;
  try {
    parsed = HLS.parse(text);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${text}`);
  }
  if (parsed.isMasterPlaylist) throw new Error("expected a media playlist");
  const pl = parsed as ParsedMediaPlaylist;
  const fail = (m: string) => {
    throw new Error(`${m}\n${text}`);
  };
  if ((pl.version ?? 0) < 9) fail("EXT-X-VERSION must be 9 or more");
  const pt = pl.partTargetDuration;
  const ll = pl.lowLatencyCompatibility;
  if (pt === undefined || !ll) return fail("missing EXT-X-PART-INF or EXT-X-SERVER-CONTROL");
  if (!ll.canBlockReload) fail("CAN-BLOCK-RELOAD must be YES");
  if ((ll.partHoldBack ?? 0) < 3 * pt - EPS) fail("PART-HOLD-BACK must be at least 3 x PART-TARGET");
  if ((ll.canSkipUntil ?? 0) < 6 * pl.targetDuration - EPS)
    fail("CAN-SKIP-UNTIL must be at least 6 x TARGETDURATION");
  for (const s of pl.segments) {
    if (s.uri && Math.round(s.duration) > pl.targetDuration) fail(`segment ${s.uri} exceeds TARGETDURATION`);
    const parts = s.parts.filter((p) => !p.hint);
    for (const p of parts)
      if ((p.duration ?? 0) > pt + 1e-9) fail(`part ${p.uri} is longer than PART-TARGET`);
    if (s.uri && parts.length > 0) {
      const sum = parts.reduce((t, p) => t + (p.duration ?? 0), 0);
      if (Math.abs(sum - s.duration) > EPS) fail(`parts of ${s.uri} add up to ${sum}, not ${s.duration}`);
    }
    if (!s.map?.uri && s.uri) fail(`segment ${s.uri} has no EXT-X-MAP`);
    if (!s.programDateTime && s.uri) fail(`segment ${s.uri} has no EXT-X-PROGRAM-DATE-TIME`);
  }
  if (!pl.endlist) {
    const last = pl.segments.at(-1);
    const hint = last?.parts.find((p) => p.hint);
    if (!hint) fail("a live playlist must end with EXT-X-PRELOAD-HINT");
  }
  return pl;
}

/** Every part the parsed playlist lists (hints left out), with its segment and index. */
export function partUris(
  pl: ParsedMediaPlaylist,
): { msn: number; index: number; uri: string; independent: boolean; duration: number }[] {
  const out = [];
  for (const s of pl.segments) {
    for (const [index, p] of s.parts.entries()) {
      if (p.hint) continue;
      out.push({
        msn: s.mediaSequenceNumber,
        index,
        uri: p.uri,
        independent: p.independent === true,
        duration: p.duration ?? 0,
      });
    }
  }
  return out;
}
