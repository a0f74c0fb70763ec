import { bearerToken, HttpError } from "@hearth/server-kit";
import type { Context } from "hono";
import { type AdminTokenCheck, sameSecret } from "./admin-token.ts";
import { limitKey, requestClientAddress, type TrustedProxies } from "./client-ip.ts";
import { keyMatches } from "./stream-key.ts";

/** What deciding "the stream's owner or the operator" needs: the admin token and its wrong-guess limit. */
export type OwnerCheck = AdminTokenCheck & { trustedProxies: TrustedProxies };

/**
 * Lets through `Authorization: Bearer <the stream's key>` or `<ADMIN_TOKEN>` (both compared in constant time);
 * anything else is 403. A wrong bearer counts against the client like a wrong admin token (the stream key is
 * 192 random bits; the admin token may be shorter), and while the client has none left every attempt is 429.
 */
export function requireOwnerOrAdmin(c: Context, check: OwnerCheck, keyHash: string): "owner" | "admin" {
  const given = bearerToken(c.req.header("authorization"));
  if (!given)
    throw new HttpError(
      401,
      "unauthorized",
      "send the stream key (or the admin token) as Authorization: Bearer <token>",
    );
  const client = limitKey(requestClientAddress(c, check.trustedProxies));
  const left = check.adminFailures.peek(client);
  if (!left.ok)
    throw new HttpError(429, "admin_token_attempts", "too many wrong tokens from your address; wait", {
      "Retry-After": String(left.retryAfterSeconds),
    });
  if (keyMatches(given, keyHash)) return "owner";
  if (check.adminToken && sameSecret(given, check.adminToken)) return "admin";
  check.adminFailures.take(client);
  throw new HttpError(403, "forbidden", "that token is neither this stream's key nor the admin token");
}
