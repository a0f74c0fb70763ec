import { HttpError } from "@hearth/server-kit";
import { z } from "zod";
import type { ReplayRange } from "./history-store.ts";
import { decodeReplayCursor } from "./replay-cursor.ts";

const millis = (name: string) =>
  z
    .string({ error: `${name} is required (milliseconds since 1970)` })
    .regex(/^\d{1,15}$/, `${name} must be milliseconds since 1970 (digits only)`)
    .transform(Number);

const ordered = (q: { from: number; to?: number | undefined }) => q.to === undefined || q.to >= q.from;
const orderedMessage = { message: "to must not be before from", path: ["to"] };

/** `?from=&to=&after=` of GET /rooms/:publicId/replay: `to` defaults to now (no upper bound). */
const ReplayQuery = z
  .object({
    from: millis("from"),
    to: millis("to").optional(),
    after: z.string().max(64, "after is too long to be a cursor").optional(),
  })
  .refine(ordered, orderedMessage);

/** `?from=&to=` of DELETE /internal/rooms/:publicId/messages: both required, so a delete is never open-ended. */
const DeleteRangeQuery = z.object({ from: millis("from"), to: millis("to") }).refine(ordered, orderedMessage);

function invalid(error: z.ZodError): HttpError {
  return new HttpError(400, "invalid_input", error.issues[0]?.message ?? "bad query");
}

/** The replay range a public query asks for; throws a 400 HttpError saying what is wrong. */
export function parseReplayQuery(query: Record<string, string>): ReplayRange {
  const q = ReplayQuery.safeParse(query);
  if (!q.success) throw invalid(q.error);
  const after = q.data.after === undefined ? null : decodeReplayCursor(q.data.after);
  if (q.data.after !== undefined && !after) {
    throw new HttpError(400, "invalid_input", "after must be a `next` value from an earlier replay answer");
  }
  return { from: q.data.from, to: q.data.to ?? null, after };
}

/** The range an internal delete names; throws a 400 HttpError saying what is wrong. */
export function parseDeleteRangeQuery(query: Record<string, string>): { from: number; to: number } {
  const q = DeleteRangeQuery.safeParse(query);
  if (!q.success) throw invalid(q.error);
  return q.data;
}
