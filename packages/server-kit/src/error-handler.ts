import type { ErrorBody } from "@hearth/contracts";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError } from "./http-error.ts";
import type { Logger } from "./logger.ts";

/** Builds the `{ error: { code, message } }` response every service answers with. */
export function errorResponse(c: Context, status: number, code: string, message: string): Response {
  const body: ErrorBody = { error: { code, message } };
  return c.json(body, status as 400);
}

// Stable codes for the statuses Hono's own middleware and validators throw.
const HTTP_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** One onError per app: HttpError → its status; anything else → 500, logged with the request id. */
export function errorHandler(logger: Logger): ErrorHandler {
  return function onError(err, c) {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return errorResponse(c, err.status, err.code, err.message);
    }
    if (err instanceof HTTPException) {
      // Middleware that built its own answer (bearer auth, given our error body) keeps it.
      if (err.res) return err.getResponse();
      const status = err.status;
      return errorResponse(c, status, HTTP_CODES[status] ?? "bad_request", err.message || "request refused");
    }
    logger.error("unhandled error", {
      requestId: c.get("requestId" as never),
      path: c.req.path,
      err: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    return errorResponse(c, 500, "internal", "internal server error");
  };
}

/** 404 for routes that do not exist. */
export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${c.req.path}`);
