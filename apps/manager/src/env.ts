import { StreamCreationPolicy } from "@hearth/contracts";
import { z } from "zod";
import { trustedProxies } from "./client-ip.ts";

const Port = z.coerce.number().int().min(0).max(65535);
/** A duration: seconds, or a number with s, m, h or d ("24h"); parsed to milliseconds. */
const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?[smhd]?$/, 'a duration is seconds or a number with s, m, h or d, e.g. "24h"')
  .transform((v) => Number.parseFloat(v) * ({ s: 1, m: 60, h: 3600, d: 86400 }[v.slice(-1)] ?? 1) * 1000);

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
  // Running in public (README): who may create streams, and the abuse limits.
  STREAM_CREATION: StreamCreationPolicy.default("open"),
  /** The operator's secret for /admin and for creating streams when creation is closed; unset = no admin API. */
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters").optional(),
  CREATE_RATE_PER_HOUR: z.coerce.number().positive().default(10),
  CREATE_BURST: z.coerce.number().int().min(1).default(3),
  MAX_OPEN_STREAMS_PER_IP: z.coerce.number().int().min(1).default(5),
  MAX_OPEN_STREAMS: z.coerce.number().int().min(1).default(1000),
  STREAM_IDLE_TTL: Duration.prefault("24h"),
  /**
   * Finished recordings are deleted this many days after they ended; 0 keeps them forever (the default: an
   * operator decides to throw broadcasts away, it does not happen to them).
   */
  RECORDING_RETENTION_DAYS: z.coerce.number().min(0).default(0),
  /** Past this many bytes of recordings in all, the oldest finished ones are deleted; 0 is no cap. */
  RECORDING_MAX_BYTES: z.coerce.number().int().min(0).default(0),
  /** Clips one client may make: a token bucket of CLIP_BURST refilled at this rate (10 per 10 minutes). */
  CLIP_RATE_PER_HOUR: z.coerce.number().positive().default(60),
  CLIP_BURST: z.coerce.number().int().min(1).default(3),
  /**
   * Proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDR ranges. Loopback by default,
   * as in the chat node: the embedded set-up's edge (`start --cdn`, infra/cdn.sh) runs on this host, and a
   * loopback peer is a process of this host, not a client that could forge its way past the limits.
   */
  TRUSTED_PROXIES: z
    .string()
    .default("127.0.0.1,::1")
    .superRefine((v, ctx) => {
      try {
        trustedProxies(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
});
export type ManagerEnv = z.infer<typeof ManagerEnv>;

/** Parses and validates the manager's environment (throws with every problem listed). */
export function parseEnv(source: Record<string, string | undefined>): ManagerEnv {
  const env = ManagerEnv.parse(source);
  if (env.STREAM_CREATION !== "open" && !env.ADMIN_TOKEN)
    throw new Error(
      `STREAM_CREATION=${env.STREAM_CREATION} needs ADMIN_TOKEN (the operator issues tokens or creates)`,
    );
  return env;
}
