import { createHmac, randomBytes } from "node:crypto";
import { safeEqual } from "@hearth/server-kit";

/** Issues and checks anonymous identity tokens: `<userId>.<hmac>`, so a user id cannot be claimed without its token. */
export interface IdentitySigner {
  /** A fresh identity. */
  issue(): { userId: string; token: string };
  /** The user id a token proves, or undefined when the token is missing, malformed or forged. */
  verify(token: string | null | undefined): string | undefined;
}

/** An HMAC-SHA256 signer; the secret comes from CHAT_IDENTITY_SECRET. */
export function hmacIdentity(secret: string): IdentitySigner {
  const sign = (userId: string) =>
    createHmac("sha256", secret).update(`chat-identity:${userId}`).digest("base64url").slice(0, 32);
  return {
    issue() {
      // 128 random bits: user ids are public (moderators ban by them), tokens are not.
      const userId = randomBytes(16).toString("base64url");
      return { userId, token: `${userId}.${sign(userId)}` };
    },
    verify(token) {
      if (!token || token.length > 100) return undefined;
      const dot = token.indexOf(".");
      if (dot < 8) return undefined;
      const userId = token.slice(0, dot);
      if (!/^[A-Za-z0-9_-]+$/.test(userId)) return undefined;
      return safeEqual(token.slice(dot + 1), sign(userId)) ? userId : undefined;
    },
  };
}
