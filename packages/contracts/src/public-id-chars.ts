/**
 * The characters of a public id, for routes that match it inside a longer path. A module of its own with no
 * imports, so the zod/mini schemas (the browser's) can use it without pulling in classic zod.
 */
export const PUBLIC_ID_CHARS = "[A-Za-z0-9_-]{8,32}";
