/**
 * File names inside a rendition's directory. Every name carries the session tag, so a name is never
 * reused for other bytes (a restarted media node starts numbering again) and CDNs may cache them forever.
 */

/** The init segment (EXT-X-MAP) of input number `seq`. */
export const initName = (tag: string, seq: number) => `init-${tag}-${seq}.mp4`;
/** A whole media segment. */
export const segmentName = (tag: string, msn: number) => `seg-${tag}-${msn}.m4s`;
/** A part, by its rendition-wide id. */
export const partName = (tag: string, id: number) => `part-${tag}-${id}.m4s`;

/** What a file name inside a rendition directory refers to. */
export type ResourceRef =
  | { kind: "playlist" }
  | { kind: "init"; seq: number }
  | { kind: "segment"; msn: number }
  | { kind: "part"; id: number };

const NAME = /^(init|seg|part)-([a-z0-9]{1,16})-(\d{1,12})\.(mp4|m4s)$/;

/** Parses a file name; null for anything that is not one of ours (or belongs to another session tag). */
export function parseResourceName(name: string, tag: string): ResourceRef | null {
  if (name === "index.m3u8") return { kind: "playlist" };
  const m = NAME.exec(name);
  if (!m || m[2] !== tag) return null;
  const n = Number(m[3]);
  if (m[1] === "init" && m[4] === "mp4") return { kind: "init", seq: n };
  if (m[1] === "seg" && m[4] === "m4s") return { kind: "segment", msn: n };
  if (m[1] === "part" && m[4] === "m4s") return { kind: "part", id: n };
  return null;
}
