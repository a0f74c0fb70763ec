import { createHash, randomBytes } from "node:crypto";
import { safeEqual } from "@hearth/server-kit";

/** A public id: 12 base64url characters = 72 random bits, far too many to enumerate. */
export function newPublicId(): string {
  return randomBytes(9).toString("base64url");
}

/** A private id (the stream key): 192 bits from the CSPRNG, prefixed so it is recognisable in a leak scan. */
export function newPrivateId(): string {
  return `live_${randomBytes(24).toString("base64url")}`;
}

/**
 * What the database keeps instead of the key. A plain SHA-256 is enough: the key has 192 random bits,
 * so there is nothing to brute-force, and a fast hash keeps RTMP publish checks cheap.
 */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Whether `key` hashes to `storedHash`, compared in constant time. */
export function keyMatches(key: string, storedHash: string): boolean {
  return safeEqual(hashKey(key), storedHash);
}
