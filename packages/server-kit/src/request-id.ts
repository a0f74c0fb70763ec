import type { MiddlewareHandler } from "hono";

/** Gives every request an id (kept from `X-Request-Id` when sane) and echoes it back. */
export function requestId(): MiddlewareHandler {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header("x-request-id");
    const id = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId" as never, id as never);
    c.header("X-Request-Id", id);
    await next();
  };
}
