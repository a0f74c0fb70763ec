import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./http-error.ts";

/** Constant-time string comparison (lengths leak, contents do not). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Guards internal service-to-service routes with the shared internal token. */
export function internalAuth(token: string): MiddlewareHandler {
  return async function internalAuthMiddleware(c, next) {
    const given = bearerToken(c.req.header("authorization"));
    if (!given) throw new HttpError(401, "unauthorized", "internal token required");
    if (!safeEqual(given, token)) throw new HttpError(403, "forbidden", "internal token rejected");
    await next();
  };
}
