import { createHash } from "node:crypto";
import { z } from "zod";
import { trustedProxies } from "./client-ip.ts";

const Port = z.coerce.number().int().min(0).max(65535);
const Positive = z.coerce.number().positive();

/** The chat service's configuration; the only place it reads the environment. */
export const ChatEnv = z
  .object({
    CHAT_PORT: Port.default(8082),
    BIND_HOST: z.string().default("0.0.0.0"),
    /** What clients are told to connect to: chatUrl = `${PUBLIC_CHAT_BASE}/rooms/<publicId>`. */
    PUBLIC_CHAT_BASE: z.string().default("ws://localhost:8082"),
    /** Shared secret for service-to-service calls. */
    INTERNAL_TOKEN: z.string().min(16, "INTERNAL_TOKEN must be at least 16 characters"),
    MANAGER_INTERNAL_URL: z.string().url().default("http://127.0.0.1:8081"),
    /** Postgres URL; unset means embedded PGlite under DATA_DIR. */
    DATABASE_URL: z.string().url().optional(),
    /** Postgres schema to work in (tests give each run its own); the default search path when unset. */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .optional(),
    DATA_DIR: z.string().default("./data"),
    /** With it, rooms are shared by every chat node through Redis pub/sub; without it, one process. */
    REDIS_URL: z.string().url().optional(),
    /** Namespace for Redis channels and keys (lets several deployments or test runs share a Redis). */
    CHAT_REDIS_PREFIX: z.string().default("hearth:chat"),
    /** Names this node in the shared counts; random per process when unset. */
    CHAT_NODE_ID: z.string().optional(),
    /** HMAC secret for anonymous identity tokens; derived from INTERNAL_TOKEN when unset. */
    CHAT_IDENTITY_SECRET: z.string().min(16).optional(),
    /** Flood protection: a token bucket per connection, RATE_MESSAGES per RATE_WINDOW_S with a burst. */
    CHAT_RATE_MESSAGES: Positive.default(5),
    CHAT_RATE_WINDOW_S: Positive.default(10),
    CHAT_RATE_BURST: z.coerce.number().int().min(1).default(3),
    /** Refused frames (rate limit, malformed) tolerated per minute before the socket is closed. */
    CHAT_STRIKES_PER_MINUTE: z.coerce.number().int().min(1).default(10),
    /** Bytes queued for one slow client before it is disconnected. */
    CHAT_BACKPRESSURE_LIMIT: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Rooms with at least CHAT_FANOUT_BATCH_MIN sockets on this node batch their frames every CHAT_FANOUT_BATCH_MS. */
    CHAT_FANOUT_BATCH_MS: z.coerce.number().int().min(0).max(1000).default(20),
    CHAT_FANOUT_BATCH_MIN: z.coerce.number().int().min(1).default(500),
    /** Open WebSockets one client address may hold on this node (tabs, devices behind one NAT); 0: no cap. */
    CHAT_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(50),
    /**
     * Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks, comma-separated). Loopback by
     * default: the nginx edge of infra/ runs on the same host; everyone else counts as their socket address.
     */
    TRUSTED_PROXIES: z
      .string()
      .default("127.0.0.1,::1")
      .transform((list, ctx) => {
        try {
          return trustedProxies(list);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: (err as Error).message });
          return z.NEVER;
        }
      }),
  })
  .transform((e) => ({
    ...e,
    CHAT_IDENTITY_SECRET:
      e.CHAT_IDENTITY_SECRET ??
      // A derived secret keeps identities valid across restarts without another setting to manage.
      createHash("sha256").update(`hearth-chat-identity:${e.INTERNAL_TOKEN}`).digest("base64url"),
  }));
export type ChatEnv = z.infer<typeof ChatEnv>;

/** Parses and validates the chat service's environment (throws with every problem listed). */
export function parseEnv(source: Record<string, string | undefined>): ChatEnv {
  return ChatEnv.parse(source);
}
