import type { Logger } from "@hearth/server-kit";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { jsonResponse, Readiness } from "./api-schemas.ts";
import { checkReadiness, type ReadinessCheck } from "./readiness.ts";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness: the process answers",
  responses: { 200: jsonResponse("alive", z.object({ ok: z.literal(true) })) },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  summary: "Readiness: a stream can be created now (database, a media node, chat), each check reported",
  responses: {
    200: jsonResponse("ready", Readiness),
    503: jsonResponse("not ready; `error` names the first failing check", Readiness),
  },
});

/** Liveness and readiness. */
export function healthRoutes(deps: {
  checks: Record<"database" | "media" | "chat", ReadinessCheck>;
  logger: Logger;
}): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(healthz, (c) => c.json({ ok: true as const }, 200));
  app.openapi(readyz, async (c) => {
    const report = await checkReadiness(deps.checks, deps.logger);
    if (report.ready) return c.json(report, 200);
    return c.json(report, 503, { "Retry-After": "2" });
  });
  return app;
}
