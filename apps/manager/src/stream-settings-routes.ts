import { HttpError } from "@hearth/server-kit";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { errorResponse, jsonResponse, PublicIdParam, StreamSettings } from "./api-schemas.ts";
import { ownedStream } from "./stream-owner.ts";
import type { StreamStore } from "./stream-store.ts";
import { rejectInvalid } from "./validation-hook.ts";

export interface StreamSettingsDeps {
  store: Pick<StreamStore, "get" | "setRecording">;
}

const putSettings = createRoute({
  method: "put",
  path: "/stream/{publicId}/settings",
  summary: "The streamer's settings (recording on or off)",
  description:
    "Authorization: Bearer <stream key>, never in the URL. Applies from the next broadcast: the media node reads " +
    "it when the publisher's key is checked.",
  security: [{ streamKey: [] }],
  request: {
    params: PublicIdParam,
    body: { required: true, content: { "application/json": { schema: StreamSettings } } },
  },
  responses: {
    200: jsonResponse("the settings now", StreamSettings),
    400: errorResponse("bad body"),
    401: errorResponse("no key"),
    403: errorResponse("wrong key"),
    404: errorResponse("unknown stream"),
  },
});

/** The streamer's settings of a stream. */
export function streamSettingsRoutes(deps: StreamSettingsDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: rejectInvalid });
  app.openapi(putSettings, async (c) => {
    const { publicId } = c.req.valid("param");
    await ownedStream(deps.store, publicId, c.req.header("authorization"));
    const { recording } = c.req.valid("json");
    const row = await deps.store.setRecording(publicId, recording);
    if (!row) throw new HttpError(404, "not_found", "no stream with that public id");
    return c.json({ recording: row.recording }, 200);
  });
  return app;
}
