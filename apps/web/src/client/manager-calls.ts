import { StartedStream, WhipInfo } from "@hearth/contracts/mini";

/** The `error.message` of a manager error body, or a generic line. */
async function failure(res: Response, what: string): Promise<Error> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new Error(`${what} (${res.status}): ${body?.error?.message ?? res.statusText}`);
}

/** POST /start_stream from the browser: the only answer carrying the key goes straight to this page. */
export async function startStream(managerUrl: string, name: string): Promise<StartedStream> {
  const res = await fetch(`${managerUrl}/start_stream`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
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
