import type { OpenAPIHono } from "@hono/zod-openapi";

/** The API's bearer tokens as /openapi.json documents them. */
const BEARER_SCHEMES = {
  streamKey: "the stream's private id",
  adminToken: "the operator's ADMIN_TOKEN",
} as const;

/** Documents bearer scheme `name` on `app`: each router that accepts it registers it (the admin router may be absent). */
export function registerBearerScheme(app: OpenAPIHono, name: keyof typeof BEARER_SCHEMES): void {
  app.openAPIRegistry.registerComponent("securitySchemes", name, {
    type: "http",
    scheme: "bearer",
    description: BEARER_SCHEMES[name],
  });
}
