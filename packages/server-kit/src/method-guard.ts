import type { Hono } from "hono";
import { HttpError } from "./http-error.ts";

/** Answers 405 with an `Allow` header for every method a path does not take. */
export function allowOnly(app: Hono, path: string, allowed: readonly string[]): void {
  const allow = [...allowed, "OPTIONS"].join(", ");
  app.all(path, (c, next) => {
    if (allowed.includes(c.req.method) || c.req.method === "OPTIONS") return next();
    throw new HttpError(
      405,
      "method_not_allowed",
      `${c.req.method} is not allowed here; use ${allowed.join(" or ")}`,
      {
        Allow: allow,
      },
    );
  });
}
