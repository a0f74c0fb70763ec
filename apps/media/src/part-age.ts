import type { RenditionPackager } from "./llhls/rendition-packager.ts";

/**
 * How far a stream's output is behind the wall clock: `now` minus the wall time (program date-time) at which
 * the newest part of its slowest rung ends, ms; null before any rung has a part. Every rung comes out of the
 * same ffmpeg, so the slowest one is the stream's lag as a viewer at the live edge sees it.
 */
export function newestPartAgeMs(renditions: readonly RenditionPackager[], now: number): number | null {
  let age: number | null = null;
  for (const p of renditions) {
    const last = p.segments.at(-1);
    if (!last || last.parts.length === 0) continue;
    const rungAge = now - (last.programDateTime + last.duration * 1000);
    age = age === null ? rungAge : Math.max(age, rungAge);
  }
  return age;
}
