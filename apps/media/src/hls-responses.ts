/** What every response under /hls carries, whichever part of the node answers it (packager or disk). */

/** Any page may play the stream; Range and the cache's Age reach hls.js. */
export const HLS_CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  "Access-Control-Allow-Headers": "Range",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range, Age",
  "Access-Control-Max-Age": "86400",
};

/** A JSON error that no cache keeps (a segment asked for too early must not stay a 404). */
export function hlsError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { ...HLS_CORS, "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

export const hlsNotFound = (): Response => hlsError(404, "not_found", "no such HLS resource");
