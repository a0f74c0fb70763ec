import { randomBytes } from "node:crypto";
import type { CreateCreationTokenBody, CreationTokenInfo, IssuedCreationToken } from "@hearth/contracts";
import { creationTokens, type Database } from "@hearth/db";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { withDb } from "./db-errors.ts";
import type { Clock } from "./rate-limit.ts";
import { hashKey } from "./stream-key.ts";

type TokenRow = typeof creationTokens.$inferSelect;

/** Why a creation token was not accepted, in words a streamer can act on. */
export type TokenRefusal = "unknown" | "revoked" | "expired" | "used_up";

const REFUSAL_TEXT: Record<TokenRefusal, string> = {
  unknown: "this creation token is not valid",
  revoked: "this creation token was revoked by the operator",
  expired: "this creation token has expired",
  used_up: "this creation token has been used up",
};

/** The message for a refused token. */
export function tokenRefusalMessage(r: TokenRefusal): string {
  return REFUSAL_TEXT[r];
}

function info(row: TokenRow): CreationTokenInfo {
  return {
    id: row.id,
    label: row.label,
    usesLeft: row.usesLeft,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Operator-issued creation (invite) tokens. The secret (192 random bits, prefixed `hct_` so a leak scan finds it)
 * is shown once and stored only as its SHA-256, like stream keys.
 */
export function creationTokenStore(db: Database, clock: Clock) {
  return {
    /** Issues a token; the answer is the only place its secret appears. */
    async issue(body: CreateCreationTokenBody): Promise<IssuedCreationToken> {
      const token = `hct_${randomBytes(24).toString("base64url")}`;
      const now = clock();
      const [row] = await withDb(() =>
        db
          .insert(creationTokens)
          .values({
            id: `ct_${randomBytes(9).toString("base64url")}`,
            tokenHash: hashKey(token),
            label: body.label,
            usesLeft: body.uses,
            expiresAt: body.expiresInSeconds === null ? null : new Date(now + body.expiresInSeconds * 1000),
            createdAt: new Date(now),
          })
          .returning(),
      );
      if (!row) throw new Error("insert returned no row");
      return { ...info(row), token };
    },

    /** Every token, newest first (revoked and expired ones included, so the operator sees what happened). */
    async list(): Promise<CreationTokenInfo[]> {
      const rows = await withDb(() =>
        db.select().from(creationTokens).orderBy(desc(creationTokens.createdAt)).limit(1000),
      );
      return rows.map(info);
    },

    /** Revokes a token; false when there is no such token. Revoking twice keeps the first time. */
    async revoke(id: string): Promise<boolean> {
      const rows = await withDb(() =>
        db
          .update(creationTokens)
          .set({
            revokedAt: sql`coalesce(${creationTokens.revokedAt}, ${new Date(clock()).toISOString()}::timestamptz)`,
          })
          .where(eq(creationTokens.id, id))
          .returning({ id: creationTokens.id }),
      );
      return rows.length > 0;
    },

    /**
     * Spends one use of a token, atomically (two creations racing for a single-use token: one wins). Returns the
     * token's id, or why it was refused.
     */
    async consume(token: string): Promise<{ ok: true; id: string } | { ok: false; why: TokenRefusal }> {
      const now = new Date(clock());
      const hash = hashKey(token);
      const [spent] = await withDb(() =>
        db
          .update(creationTokens)
          .set({ usesLeft: sql`${creationTokens.usesLeft} - 1` })
          .where(
            and(
              eq(creationTokens.tokenHash, hash),
              isNull(creationTokens.revokedAt),
              or(isNull(creationTokens.expiresAt), gt(creationTokens.expiresAt, now)),
              or(isNull(creationTokens.usesLeft), gt(creationTokens.usesLeft, 0)),
            ),
          )
          .returning({ id: creationTokens.id }),
      );
      if (spent) return { ok: true, id: spent.id };
      const [row] = await withDb(() =>
        db.select().from(creationTokens).where(eq(creationTokens.tokenHash, hash)).limit(1),
      );
      if (!row) return { ok: false, why: "unknown" };
      if (row.revokedAt) return { ok: false, why: "revoked" };
      if (row.expiresAt && row.expiresAt <= now) return { ok: false, why: "expired" };
      return { ok: false, why: "used_up" };
    },

    /** Gives back a use spent on a creation that then failed (nothing was created). */
    async refund(id: string): Promise<void> {
      await withDb(() =>
        db
          .update(creationTokens)
          .set({ usesLeft: sql`${creationTokens.usesLeft} + 1` })
          .where(eq(creationTokens.id, id)),
      );
    },
  };
}
export type CreationTokenStore = ReturnType<typeof creationTokenStore>;
