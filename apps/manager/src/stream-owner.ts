import { bearerToken, HttpError } from "@hearth/server-kit";
import { keyMatches } from "./stream-key.ts";
import type { StreamRow, StreamStore } from "./stream-store.ts";

/** The stream named in the path, when the bearer key is its private id (401 none, 404 unknown, 403 wrong). */
export async function ownedStream(
  store: Pick<StreamStore, "get">,
  publicId: string,
  authorization: string | undefined,
): Promise<StreamRow> {
  const key = bearerToken(authorization);
  if (!key)
    throw new HttpError(401, "unauthorized", "send the stream key as Authorization: Bearer <private id>");
  const row = await store.get(publicId);
  if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
  if (!keyMatches(key, row.keyHash))
    throw new HttpError(403, "forbidden", "that key does not belong to this stream");
  return row;
}
