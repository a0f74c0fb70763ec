import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken, HttpError } from "@hearth/server-kit";
import type { MiddlewareHandler } from "hono";
import { limitKey, requestClientAddress, type TrustedProxies } from "./client-ip.ts";
import type { TokenBuckets } from "./rate-limit.ts";

/** The operator's ADMIN_TOKEN and the wrong guesses counted per client. */
export interface AdminTokenCheck {
  /** Unset: no admin API, and no admin bypass on stream creation. */
  adminToken: string | undefined;
  /** Wrong admin tokens per client (here and on /admin): 10, then one a minute, so it cannot be guessed online. */
  adminFailures: TokenBuckets;
}

/** Compares secrets in constant time, lengths included (both sides are hashed first). */
export function sameSecret(given: string, expected: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

/**
 * Checks an admin bearer from `client` (a limit key). While the client has used up its wrong guesses, every
 * attempt is refused, the right token too: else the limit would still tell a guesser when it had found it.
 */
export function checkAdminToken(s: AdminTokenCheck, client: string, given: string): void {
  const left = s.adminFailures.peek(client);
  if (!left.ok)
    throw new HttpError(429, "admin_token_attempts", "too many wrong admin tokens from your address; wait", {
      "Retry-After": String(left.retryAfterSeconds),
    });
  if (s.adminToken && sameSecret(given, s.adminToken)) return;
  s.adminFailures.take(client);
  throw new HttpError(401, "admin_token_invalid", "that admin token is not valid");
}

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time, wrong guesses limited per client; no token
 * configured = no admin API.
 */
export function adminAuth(s: AdminTokenCheck & { trustedProxies: TrustedProxies }): MiddlewareHandler {
  return async function adminAuthMiddleware(c, next) {
    if (!s.adminToken)
      throw new HttpError(
        503,
        "admin_disabled",
        "the admin API is disabled: the operator has not set ADMIN_TOKEN",
      );
    const given = bearerToken(c.req.header("authorization"));
    if (!given)
      throw new HttpError(
        401,
        "admin_token_required",
        "send the admin token as Authorization: Bearer <token>",
      );
    checkAdminToken(s, limitKey(requestClientAddress(c, s.trustedProxies)), given);
    // Answers may carry a token shown once: no cache anywhere may keep them.
    c.header("Cache-Control", "no-store");
    await next();
  };
}
