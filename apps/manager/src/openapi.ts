import {
  ErrorBody,
  StartedStream,
  StartStreamBody,
  StreamList,
  StreamLookup,
  WhipInfo,
} from "@hearth/contracts";
import { z } from "zod";

// Input schemas are shown as the client sends them; outputs as the server sends them.
const schema = (s: z.ZodType, io: "input" | "output" = "output") =>
  z.toJSONSchema(s, { io, unrepresentable: "any" });

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const json = (description: string, ref: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const publicIdParam = { name: "publicId", in: "path", required: true, schema: { type: "string" } };
const bearer = [{ streamKey: [] }];

/** The OpenAPI 3 document, generated from the same zod schemas the routes parse with. */
export function openApiDocument() {
  return {
    openapi: "3.1.0",
    info: { title: "Hearth manager", version: "1.0.0", description: "Streams: create, list, look up, stop." },
    components: {
      securitySchemes: {
        streamKey: { type: "http", scheme: "bearer", description: "the stream's private id" },
      },
      schemas: {
        Error: schema(ErrorBody),
        StreamList: schema(StreamList),
        StartStreamBody: schema(StartStreamBody, "input"),
        StartedStream: schema(StartedStream),
        StreamLookup: schema(StreamLookup),
        WhipInfo: schema(WhipInfo),
      },
    },
    paths: {
      "/streams": {
        get: {
          summary: "Live and created streams, live first, newest first",
          parameters: [
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 50 },
            },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: {
            "200": json("a page of streams", "StreamList"),
            "400": errorResponse("bad limit or cursor"),
          },
        },
      },
      "/start_stream": {
        post: {
          summary: "Create a stream; the only response that carries its private id",
          parameters: [
            { name: "name", in: "query", schema: { type: "string" } },
            {
              name: "X-Creation-Token",
              in: "header",
              description: "the creation token (STREAM_CREATION=token), if not in the JSON body",
              schema: { type: "string" },
            },
          ],
          requestBody: {
            required: false,
            content: { "application/json": { schema: { $ref: "#/components/schemas/StartStreamBody" } } },
          },
          responses: {
            "201": json("created", "StartedStream"),
            "400": errorResponse("bad name, or a creation token in the URL"),
            "401": errorResponse("creation token required, or a wrong admin bearer"),
            "403": errorResponse("creation closed, or the creation token is not valid"),
            "429": errorResponse("rate limit or open-stream cap; see Retry-After"),
            "503": errorResponse("media or chat unreachable; nothing was created"),
          },
        },
      },
      "/stream/{publicId}": {
        get: {
          summary: "Where to watch and chat; with bitrate, the best rung under it",
          parameters: [
            publicIdParam,
            { name: "bitrate", in: "query", schema: { type: "integer", minimum: 1 } },
          ],
          responses: { "200": json("the stream", "StreamLookup"), "404": errorResponse("unknown stream") },
        },
      },
      "/stop_stream/{publicId}": {
        post: {
          summary: "End a stream (kept in history)",
          security: bearer,
          parameters: [publicIdParam],
          responses: {
            "204": { description: "ended" },
            "401": errorResponse("no key"),
            "403": errorResponse("wrong key"),
            "404": errorResponse("unknown stream"),
          },
        },
      },
      "/start_wrtc_stream/{publicId}": {
        post: {
          summary: "Ready WebRTC (WHIP) ingest; returns the WHIP URL",
          security: bearer,
          parameters: [publicIdParam],
          responses: {
            "200": json("WHIP endpoint", "WhipInfo"),
            "401": errorResponse("no key"),
            "403": errorResponse("wrong key"),
            "404": errorResponse("unknown stream"),
          },
        },
      },
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "alive" } } } },
      "/readyz": {
        get: {
          summary: "Readiness: the database answers",
          responses: { "200": { description: "ready" }, "503": errorResponse("database unreachable") },
        },
      },
    },
  };
}
