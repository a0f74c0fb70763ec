import { HttpError } from "@hearth/server-kit";
import type { z } from "zod";

/** The first problem of a failed parse, as "where: what". */
export function describeIssues(error: z.ZodError, target: string): string {
  const issue = error.issues[0];
  if (!issue) return `${target} is invalid`;
  const where = issue.path.length > 0 ? issue.path.join(".") : target;
  return `${where}: ${issue.message}`;
}

/**
 * OpenAPIHono's defaultHook: a request that fails its route's schemas is answered 400
 * `{ error: { code: "invalid_input", message } }`, like every other error, by the app's onError.
 */
export function rejectInvalid(result: { success: boolean; target: string; error?: z.ZodError }): void {
  if (!result.success && result.error)
    throw new HttpError(400, "invalid_input", describeIssues(result.error, result.target));
}
