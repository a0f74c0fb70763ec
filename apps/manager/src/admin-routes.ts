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
import type { ManagerSafety } from "./creation-policy.ts";
import { registerBearerScheme } from "./security-schemes.ts";
import { endStream, type StreamEndingDeps } from "./stream-ending.ts";
import type { StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";

export interface AdminDeps extends StreamEndingDeps {
  /** adminToken unset: the admin API answers 503 admin_disabled. */
  safety: Pick<ManagerSafety, "adminToken" | "adminFailures" | "trustedProxies" | "tokens" | "overview">;
  store: Pick<StreamStore, "get" | "end">;
  logger: Logger;
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
  path: "/creation-tokens",
  summary: "Issue a creation (invite) token; its secret is in this answer only",
  security,
  request: { body: { required: true, content: { "application/json": { schema: CreateCreationTokenBody } } } },
  responses: {
    201: { description: "issued", content: { "application/json": { schema: IssuedCreationToken } } },
    400: err("bad body"),
    413: err("the body is over 16 KiB"),
    ...auth,
  },
});
const listTokens = createRoute({
  method: "get",
  path: "/creation-tokens",
  summary: "Every creation token (never the secrets), newest first",
  security,
  responses: {
    200: { description: "the tokens", content: { "application/json": { schema: CreationTokenList } } },
    ...auth,
  },
});
const revokeToken = createRoute({
  method: "delete",
  path: "/creation-tokens/{id}",
  summary: "Revoke a creation token",
  security,
  request: { params: TokenId },
  responses: { 204: { description: "revoked" }, 404: err("no such token"), ...auth },
});
const overview = createRoute({
  method: "get",
  path: "/overview",
  summary: "Creation policy, media nodes with their budget, streams not ended",
  security,
  responses: {
    200: { description: "the overview", content: { "application/json": { schema: AdminOverview } } },
    ...auth,
  },
});
const stopStream = createRoute({
  method: "post",
  path: "/streams/{publicId}/stop",
  summary: "End a stream as its owner would (kept in history)",
  security,
  request: { params: StreamParam },
  responses: { 204: { description: "ended (or already ended)" }, 404: err("unknown stream"), ...auth },
});

/**
 * The operator's API, for createApp's `admin` (mounted at /admin, so these paths and the scheme join the
 * generated /openapi.json). Bodies are held to the app's 16 KiB limit for public routes.
 */
export function adminRoutes(d: AdminDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  registerBearerScheme(app, "adminToken");
  app.use("*", adminAuth(d.safety));

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
    // As stop_stream does; the app drops the directory's cached pages after a write here.
    await endStream(d, row, "operator");
    return c.body(null, 204);
  });
  return app;
}
