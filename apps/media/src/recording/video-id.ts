import { randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A new video id: 16 characters of [a-z0-9] from the CSPRNG (~82 bits; 252 = 7 x 36 keeps the draw uniform). */
export function newVideoId(): string {
  let out = "";
  while (out.length < 16) {
    for (const b of randomBytes(24)) {
      if (b < 252 && out.length < 16) out += ALPHABET[b % 36];
    }
  }
  return out;
}
