import type { RenditionPackager } from "./rendition-packager.ts";

/** The LL-HLS delivery directives of a playlist request (RFC 8216bis 6.2.5). */
export interface ReloadRequest {
  msn: number | null;
  part: number | null;
  skip: boolean;
}

/** Why a request was refused before any waiting. */
export class ReloadError extends Error {
  override name = "ReloadError";
}

const DECIMAL = /^\d{1,12}$/;

/** Parses `_HLS_msn`, `_HLS_part` and `_HLS_skip`; throws ReloadError for malformed values or a part without an msn. */
export function parseReloadRequest(q: (name: string) => string | undefined): ReloadRequest {
  const rawMsn = q("_HLS_msn");
  const rawPart = q("_HLS_part");
  const rawSkip = q("_HLS_skip");
  if (rawMsn !== undefined && !DECIMAL.test(rawMsn))
    throw new ReloadError("_HLS_msn must be a decimal integer");
  if (rawPart !== undefined && !DECIMAL.test(rawPart))
    throw new ReloadError("_HLS_part must be a decimal integer");
  // 6.2.5.2: a part directive without an msn directive MUST be refused.
  if (rawPart !== undefined && rawMsn === undefined) throw new ReloadError("_HLS_part needs _HLS_msn");
  if (rawSkip !== undefined && rawSkip !== "YES" && rawSkip !== "v2") {
    throw new ReloadError("_HLS_skip must be YES or v2");
  }
  return {
    msn: rawMsn === undefined ? null : Number(rawMsn),
    part: rawPart === undefined ? null : Number(rawPart),
    // v2 also allows skipping date-ranges; Hearth writes none, so it is the same as YES here.
    skip: rawSkip !== undefined,
  };
}

/** 6.2.5.2: the Advance Part Limit, in parts. */
export function advancePartLimit(partTarget: number): number {
  return partTarget < 1 ? Math.floor(3 / partTarget) : 3;
}

/**
 * 6.2.5.2: an msn more than two past the last segment, or a part more than the Advance Part Limit past
 * the last part, is refused at once (nobody could be waiting for it legitimately).
 */
export function isTooFarAhead(p: RenditionPackager, msn: number, part: number | null): boolean {
  const lastSegment = Math.max(p.lastCompleteMsn(), p.openSegment()?.msn ?? -1);
  if (msn > lastSegment + 2) return true;
  if (part === null) return false;
  const last = p.lastPart();
  if (!last) return part > advancePartLimit(p.o.partTarget);
  // Parts of later segments are counted as if segments had the usual number of parts.
  const perSegment = Math.max(1, Math.round(p.o.targetDuration / p.o.partTarget));
  const ahead = (msn - last.msn) * perSegment + part - last.index;
  return ahead > advancePartLimit(p.o.partTarget);
}

/**
 * True when the playlist already satisfies the request: segment `msn` is complete (no part asked), or
 * part `part` of segment `msn` (or anything later) exists. A part index past the end of a complete
 * segment means part 0 of the next one (6.2.5.2).
 */
export function isReady(p: RenditionPackager, msn: number, part: number | null): boolean {
  if (p.ended) return true;
  if (part === null) return p.lastCompleteMsn() >= msn;
  const last = p.lastPart();
  if (!last) return false;
  let m = msn;
  let i = part;
  const seg = p.segment(m);
  if (seg && i >= seg.parts.length) {
    m += 1;
    i = 0;
  }
  return last.msn > m || (last.msn === m && last.index >= i);
}
