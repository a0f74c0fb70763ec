import { z } from "zod";

const Port = z.coerce.number().int().min(0).max(65535);

/** The manager's configuration; the only place it reads the environment. */
export const ManagerEnv = z.object({
  MANAGER_PORT: Port.default(8081),
  BIND_HOST: z.string().default("0.0.0.0"),
  /** Postgres URL; unset means embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default("./data"),
  /** Shared secret for service-to-service calls. */
  INTERNAL_TOKEN: z
    .string()
    .min(16, "INTERNAL_TOKEN must be at least 16 characters")
    // It travels as `Authorization: Bearer <token>`: RFC 6750's token characters only.
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, "INTERNAL_TOKEN may use only A-Z a-z 0-9 . _ ~ + / - (and trailing =)"),
  MEDIA_INTERNAL_URL: z.string().url().default("http://127.0.0.1:8083"),
  CHAT_INTERNAL_URL: z.string().url().default("http://127.0.0.1:8082"),
  /** Where viewers open the web app (watch links). */
  PUBLIC_WEB_URL: z.string().url().default("http://localhost:8080"),
  /** How long GET /streams may be served from memory; a few hundred ms keeps it fast and fresh. */
  DIRECTORY_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(500),
  /** A media node that has not heart-beaten for this long is down; its streams show offline. */
  NODE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(6000),
  /** How often viewer counts are pulled from the chat service. */
  COUNTS_POLL_MS: z.coerce.number().int().min(500).default(5000),
});
export type ManagerEnv = z.infer<typeof ManagerEnv>;

/** Parses and validates the manager's environment (throws with every problem listed). */
export function parseEnv(source: Record<string, string | undefined>): ManagerEnv {
  return ManagerEnv.parse(source);
}
