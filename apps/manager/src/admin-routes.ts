import {
  AdminOverview,
  CreateCreationTokenBody,
  CreationTokenList,
  ErrorBody,
  IssuedCreationToken,
  PublicId,
} from "@hearth/contracts";
import { HttpError, type Logger } from "@hearth/server-kit";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { adminAuth } from "./admin-token.ts";
import { type ManagerSafety, smallBody } from "./creation-policy.ts";
import type { ChatService, MediaService } from "./services.ts";
import type { StreamStore } from "./stream-store.ts";

export interface AdminDeps {
  /** adminToken unset: the admin API answers 503 admin_disabled. */
  safety: Pick<ManagerSafety, "adminToken" | "adminFailures" | "trustedProxies" | "tokens" | "overview">;
  store: StreamStore;
  media: Pick<MediaService, "remove">;
  chat: Pick<ChatService, "remove">;
  logger: Logger;
  /** Called after a change the public directory shows. */
  onChange(): void;
}

const err = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});
const security = [{ adminToken: [] }];
const auth = { 401: err("no or wrong admin token"), 503: err("the admin API is disabled (no ADMIN_TOKEN)") };
const TokenId = z.object({ id: z.string().min(1).max(64) });
const StreamParam = z.object({ publicId: PublicId });

const issueToken = createRoute({
  method: "post",
  path: "/admin/creation-tokens",
  summary: "Issue a creation (invite) token; its secret is in this answer only",
  security,
  request: { body: { required: true, content: { "application/json": { schema: CreateCreationTokenBody } } } },
  responses: {
    201: { description: "issued", content: { "application/json": { schema: IssuedCreationToken } } },
    400: err("bad body"),
    ...auth,
  },
});
const listTokens = createRoute({
  method: "get",
  path: "/admin/creation-tokens",
  summary: "Every creation token (never the secrets), newest first",
  security,
  responses: {
    200: { description: "the tokens", content: { "application/json": { schema: CreationTokenList } } },
    ...auth,
  },
});
const revokeToken = createRoute({
  method: "delete",
  path: "/admin/creation-tokens/{id}",
  summary: "Revoke a creation token",
  security,
  request: { params: TokenId },
  responses: { 204: { description: "revoked" }, 404: err("no such token"), ...auth },
});
const overview = createRoute({
  method: "get",
  path: "/admin/overview",
  summary: "Creation policy, media nodes with their budget, streams not ended",
  security,
  responses: {
    200: { description: "the overview", content: { "application/json": { schema: AdminOverview } } },
    ...auth,
  },
});
const stopStream = createRoute({
  method: "post",
  path: "/admin/streams/{publicId}/stop",
  summary: "End a stream as its owner would (kept in history)",
  security,
  request: { params: StreamParam },
  responses: { 204: { description: "ended (or already ended)" }, 404: err("unknown stream"), ...auth },
});

/** The operator's API under /admin (full paths, so the document is right wherever it is mounted). */
export function adminRoutes(d: AdminDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.join(".") || "body";
        throw new HttpError(400, "invalid_input", `${where}: ${issue?.message ?? "invalid"}`);
      }
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "the operator's ADMIN_TOKEN",
  });
  app.use("/admin/*", adminAuth(d.safety), smallBody);

  app.openapi(issueToken, async (c) => {
    const issued = await d.safety.tokens.issue(c.req.valid("json"));
    d.logger.info("creation token issued", { id: issued.id, label: issued.label });
    return c.json(issued, 201);
  });
  app.openapi(listTokens, async (c) => c.json({ tokens: await d.safety.tokens.list() }, 200));
  app.openapi(revokeToken, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await d.safety.tokens.revoke(id)))
      throw new HttpError(404, "not_found", "no creation token with that id");
    d.logger.info("creation token revoked", { id });
    return c.body(null, 204);
  });
  app.openapi(overview, async (c) => c.json(await d.safety.overview(), 200));
  app.openapi(stopStream, async (c) => {
    const { publicId } = c.req.valid("param");
    const row = await d.store.get(publicId);
    if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
    if (await d.store.end(publicId)) {
      d.onChange();
      // As stop_stream: the row is ended first (the key is refused at once), then the services clean up.
      const results = await Promise.allSettled([
        d.media.remove(publicId, row.mediaNode),
        d.chat.remove(publicId),
      ]);
      for (const r of results)
        if (r.status === "rejected")
          d.logger.warn("admin stop: a service did not confirm", {
            publicId,
            err: (r.reason as Error).message,
          });
      d.logger.info("stream ended by the operator", { publicId });
    }
    return c.body(null, 204);
  });
  return app;
}

/**
 * Adds the admin routes to a hand-written OpenAPI document. Interim, while the manager's other routes are not
 * on OpenAPIHono: once they are, mounting the admin app with `route` merges its definitions by itself.
 */
export function withAdminDocument<D extends { paths: object; components: object }>(
  doc: D,
  admin: OpenAPIHono,
): D {
  const extra = admin.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "admin", version: "1" } });
  const comps = doc.components as Record<string, object | undefined>;
  const components: Record<string, object | undefined> = { ...comps };
  for (const [k, v] of Object.entries(extra.components ?? {})) components[k] = { ...comps[k], ...v };
  return { ...doc, paths: { ...doc.paths, ...extra.paths }, components };
}
