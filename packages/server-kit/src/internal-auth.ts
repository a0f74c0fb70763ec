import { timingSafeEqual } from "node:crypto";
import type { ErrorBody } from "@hearth/contracts";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

// RFC 6750's b64token: what hono/bearer-auth accepts in the header. A secret outside it could never match.
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** An error body as a Response, so hono/bearer-auth answers in the house shape with our status. */
const refusal = (status: ContentfulStatusCode, code: string, message: string) => (c: Context) => {
  const body: ErrorBody = { error: { code, message } };
  return c.json(body, status);
};

export interface BearerGuardOptions {
  /** Who the token is for, used in the messages ("internal token required"). */
  what: string;
}

/**
 * Guards routes with one shared secret sent as `Authorization: Bearer <token>` (hono/bearer-auth, which compares
 * in constant time): 401 without a token, 403 with a wrong one, in the `{ error: { code, message } }` shape.
 * Throws at construction when the secret is not a valid bearer token, so a bad setting fails at start.
 */
export function bearerGuard(token: string, options: BearerGuardOptions): MiddlewareHandler {
  if (!B64TOKEN.test(token))
    throw new Error(`the ${options.what} must use only A-Z a-z 0-9 . _ ~ + / - (and trailing =)`);
  return bearerAuth({
    token,
    noAuthenticationHeader: { message: refusal(401, "unauthorized", `${options.what} required`) },
    invalidAuthenticationHeader: {
      message: refusal(401, "unauthorized", `send the ${options.what} as Authorization: Bearer <token>`),
    },
    invalidToken: { message: refusal(403, "forbidden", `${options.what} rejected`) },
  });
}

/** Guards internal service-to-service routes with the shared internal token. */
export function internalAuth(token: string): MiddlewareHandler {
  return bearerGuard(token, { what: "internal token" });
}
