import { z } from "zod";

/**
 * The operator's admin API (`/admin/*` on the manager, `Authorization: Bearer <ADMIN_TOKEN>`), and how
 * streams may be created (`STREAM_CREATION`).
 */

/** Who may create streams: anyone (rate-limited), holders of an operator-issued token, or the admin only. */
export const StreamCreationPolicy = z.enum(["open", "token", "closed"]);
export type StreamCreationPolicy = z.infer<typeof StreamCreationPolicy>;

/** `POST /admin/creation-tokens`: an invite. `uses` null = unlimited until it expires or is revoked. */
export const CreateCreationTokenBody = z.object({
  label: z.string().trim().max(80).default(""),
  uses: z.number().int().min(1).max(1_000_000).nullable().default(1),
  /** Seconds from now until the token expires; null = never. */
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(366 * 24 * 3600)
    .nullable()
    .default(7 * 24 * 3600),
});
export type CreateCreationTokenBody = z.infer<typeof CreateCreationTokenBody>;

/** A creation token as listed (never the token itself, which is shown once, on creation). */
export const CreationTokenInfo = z.object({
  id: z.string(),
  label: z.string(),
  usesLeft: z.number().int().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type CreationTokenInfo = z.infer<typeof CreationTokenInfo>;

/** The answer to a creation: the only time the token's secret is shown. */
export const IssuedCreationToken = CreationTokenInfo.extend({ token: z.string() });
export type IssuedCreationToken = z.infer<typeof IssuedCreationToken>;

export const CreationTokenList = z.object({ tokens: z.array(CreationTokenInfo) });

/** One media node as the operator sees it (`GET /admin/nodes`). */
export const AdminNode = z.object({
  id: z.string(),
  healthy: z.boolean(),
  heartbeatAt: z.string(),
  streams: z.number().int(),
  budgetTotal: z.number().nullable(),
  budgetUsed: z.number().nullable(),
});
export type AdminNode = z.infer<typeof AdminNode>;

/** One stream as the operator sees it (`GET /admin/streams`): never the key. */
export const AdminStream = z.object({
  publicId: z.string(),
  name: z.string(),
  live: z.boolean(),
  reconnecting: z.boolean(),
  node: z.string().nullable(),
  rungs: z.array(z.string()),
  quality: z.enum(["full", "reduced", "source"]).nullable(),
  realtime: z.boolean(),
  viewers: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
});
export type AdminStream = z.infer<typeof AdminStream>;

export const AdminOverview = z.object({
  policy: StreamCreationPolicy,
  nodes: z.array(AdminNode),
  streams: z.array(AdminStream),
});
export type AdminOverview = z.infer<typeof AdminOverview>;
