/** Clip limits, shared by the manager, the media node and the browser (no zod here, so the pages stay small). */

/** Shortest and longest clip, seconds. */
export const CLIP_MIN_SECONDS = 5;
export const CLIP_MAX_SECONDS = 60;
/** How far back a clip of a live stream may reach, seconds. */
export const LIVE_CLIP_WINDOW_SECONDS = 120;
