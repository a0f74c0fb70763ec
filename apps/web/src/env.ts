import { StreamCreationPolicy } from "@hearth/contracts";
import { z } from "zod";

const Port = z.coerce.number().int().min(0).max(65535);

/** The web tier's configuration; the only place it reads the environment. */
export const WebEnv = z.object({
  WEB_PORT: Port.default(8080),
  BIND_HOST: z.string().default("0.0.0.0"),
  /** The manager's public API as browsers reach it (islands call it directly, with CORS). */
  MANAGER_URL: z.string().url().default("http://localhost:8081"),
  /** The manager as this server reaches it for server rendering; defaults to MANAGER_URL. */
  MANAGER_SSR_URL: z.string().url().optional(),
  /** How long a server-side call to the manager may take before the page renders its error state. */
  MANAGER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /** The manager's STREAM_CREATION, read here too so the broadcast page asks for an invite when it is "token". */
  STREAM_CREATION: StreamCreationPolicy.default("open"),
});
export type WebEnv = z.infer<typeof WebEnv>;

/** Parses and validates the web tier's environment (throws with every problem listed). */
export function parseEnv(source: Record<string, string | undefined>): WebEnv {
  return WebEnv.parse(source);
}
