import { randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random id of `length` characters of [a-z0-9] from the CSPRNG (video and clip ids: 16 chars, ~82 bits).
 * Uniform: bytes ≥ 252 (= 7 × 36) are drawn again rather than folded onto the first letters.
 */
export function randomLowerAlnumId(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length + 8)) {
      if (b < 252 && out.length < length) out += ALPHABET[b % 36];
    }
  }
  return out;
}
