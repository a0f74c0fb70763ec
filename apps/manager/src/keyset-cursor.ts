import { HttpError } from "@hearth/server-kit";

/** A keyset position in a newest-first list: a time and an id (the tie-break). */
export interface TimeCursor {
  at: Date;
  id: string;
}

/** Cursors are opaque to clients: base64url of the sort key. */
export function encodeTimeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString("base64url");
}

/** Decodes a cursor, or answers 400 for anything that is not one of ours. */
export function decodeTimeCursor(raw: string): TimeCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, "base64url").toString()) as unknown[];
    const date = new Date(String(at));
    if (typeof id === "string" && typeof at === "string" && !Number.isNaN(date.getTime()))
      return { at: date, id };
  } catch {
    // fall through to the 400
  }
  throw new HttpError(400, "bad_cursor", "cursor is not one this API issued");
}
