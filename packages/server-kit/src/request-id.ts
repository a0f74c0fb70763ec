import type { MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";

/**
 * Gives every request an id (kept from `X-Request-Id` when it is short and plain) and echoes it back.
 * Hono's own middleware; the id is `c.get("requestId")`. 64 characters is plenty for a UUID or a proxy's id
 * and keeps a hostile header out of log lines.
 */
export function requestId(): MiddlewareHandler {
  return honoRequestId({ limitLength: 64 });
}
