import { Clip, ErrorBody, StartedStream, StreamLookup, WhipInfo } from "@hearth/contracts/mini";
import { retryAfterText } from "../shared/format.ts";

/** A refused manager call: the status, the error code and a sentence for the person (with when to retry). */
export class ManagerRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ManagerRefusal";
  }
}

/** The `error.message` of a manager error body (or a generic line), and when to retry after a 429/503. */
async function failure(res: Response, what: string): Promise<ManagerRefusal> {
  const body = ErrorBody.safeParse(await res.json().catch(() => null));
  const why = body.success ? body.data.error.message : res.statusText;
  // Readable cross-origin only when the manager exposes it (CORS); the message says why regardless.
  const retry = retryAfterText(res.headers.get("retry-after"));
  return new ManagerRefusal(
    res.status,
    body.success ? body.data.error.code : "",
    `${what} (${res.status}): ${why}${retry ? `; ${retry}` : ""}`,
  );
}

/**
 * POST /start_stream from the browser: the only answer carrying the key goes straight to this page. An invite
 * (creation) token travels in the JSON body, never in the URL.
 */
export async function startStream(
  managerUrl: string,
  name: string,
  creationToken?: string,
): Promise<StartedStream> {
  const res = await fetch(`${managerUrl}/start_stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(creationToken ? { name, creationToken } : { name }),
  });
  if (!res.ok) throw await failure(res, "Could not create the stream");
  return StartedStream.parse(await res.json());
}

/** POST /start_wrtc_stream/:publicId: the WHIP endpoint to publish to. */
export async function startWebrtc(managerUrl: string, publicId: string, key: string): Promise<string> {
  const res = await fetch(`${managerUrl}/start_wrtc_stream/${encodeURIComponent(publicId)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok) throw await failure(res, "Could not prepare the browser broadcast");
  return WhipInfo.parse(await res.json()).whipUrl;
}

/** POST /stop_stream/:publicId: ends the stream for good (404 means it is already gone). */
export async function stopStream(managerUrl: string, publicId: string, key: string): Promise<void> {
  const res = await fetch(`${managerUrl}/stop_stream/${encodeURIComponent(publicId)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok && res.status !== 404) throw await failure(res, "Could not end the stream");
}

/** What POST /clips takes (recordings.ts CreateClipBody): a live stream's last seconds, or a piece of a video. */
export type ClipRequest =
  | { stream: string; endAt?: string; durationSeconds: number }
  | { videoId: string; startSeconds: number; durationSeconds: number };

/** POST /clips: cuts a clip; a refusal (429 with when to retry, 4xx) says why in its message. */
export async function createClip(managerUrl: string, body: ClipRequest): Promise<Clip> {
  const res = await fetch(`${managerUrl}/clips`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res, "Could not make the clip");
  return Clip.parse(await res.json());
}

/** GET /stream/:publicId: the stream as the public sees it (live, reconnecting, why a publish was refused). */
export async function lookupStream(managerUrl: string, publicId: string): Promise<StreamLookup> {
  const res = await fetch(`${managerUrl}/stream/${encodeURIComponent(publicId)}`);
  if (!res.ok) throw await failure(res, "Could not read the stream's state");
  return StreamLookup.parse(await res.json());
}
