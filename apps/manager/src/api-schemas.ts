import * as contracts from "@hearth/contracts";
import { z } from "@hono/zod-openapi";

type OpenApiArgs = [string] | [Record<string, unknown>] | [string, Record<string, unknown>];

/**
 * A contract schema with OpenAPI metadata (a component name, an example): a copy that parses exactly as the
 * contract does. The contracts are built before @hono/zod-openapi extends zod, so their instances lack the
 * `.openapi()` method; it is borrowed from the extended prototype.
 */
function openapi<T extends z.ZodType>(schema: T, ...args: OpenApiArgs): T {
  const proto = z.ZodType.prototype as unknown as { openapi(this: z.ZodType, ...a: OpenApiArgs): T };
  return proto.openapi.call(schema, ...args);
}

// The public API's schemas: the contracts' own, each named once so /openapi.json shows it as a component.
export const ErrorBody = openapi(contracts.ErrorBody, "Error");
export const StreamList = openapi(contracts.StreamList, "StreamList");
export const StreamLookup = openapi(contracts.StreamLookup, "StreamLookup");
export const StartedStream = openapi(contracts.StartedStream, "StartedStream");
export const WhipInfo = openapi(contracts.WhipInfo, "WhipInfo");
/** The JSON body of POST /start_stream; `name` may come in the query instead. */
export const StartStreamBody = openapi(contracts.StartStreamBody.partial({ name: true }), "StartStreamBody");

export const PublicIdParam = z.object({
  publicId: openapi(contracts.PublicId, { example: "Xk3v9QaPz0bE" }),
});

/** A bitrate in bits per second: any positive number; one above every rung picks the top rung. */
export const Bitrate = z
  .string()
  .regex(/^\d+(\.\d+)?(e\+?\d+)?$/i, "bitrate must be a number of bits per second")
  .transform(Number)
  .refine((n) => n > 0, "bitrate must be positive")
  .openapi({ type: "number", description: "bits per second (> 0)", example: 1500000 });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ type: "integer" }),
  cursor: z.string().max(512).optional().openapi({ description: "nextCursor of the previous page" }),
});

/** The readiness report: every check, and why a failing one failed. */
const Check = z.object({ ok: z.boolean(), detail: z.string() });
export const Readiness = z
  .object({
    ready: z.boolean(),
    checks: z.object({ database: Check, media: Check, chat: Check }),
    error: contracts.ErrorBody.shape.error.optional(),
  })
  .openapi("Readiness");

/** An error response in the house shape, for the document. */
export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

/** A JSON response, for the document. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});

// Recordings and clips (contracts/recordings.ts).
export const Video = openapi(contracts.Video, "Video");
export const VideoList = openapi(contracts.VideoList, "VideoList");
export const Clip = openapi(contracts.Clip, "Clip");
export const ClipList = openapi(contracts.ClipList, "ClipList");
export const CreateClipBody = openapi(contracts.CreateClipBody, "CreateClipBody");
export const StreamSettings = openapi(contracts.StreamSettings, "StreamSettings");
export const VideoIdParam = z.object({
  videoId: openapi(contracts.VideoId, { example: "k3v9qapz0be4x7m2" }),
});
export const ClipIdParam = z.object({ clipId: openapi(contracts.ClipId, { example: "q8d2m4x0z7c1v5b3" }) });
