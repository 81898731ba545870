// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30-second steps,
// 6 digits: what Housecall's sign-in page asks for), with node:crypto only,
// the way an authenticator app computes them from the enrolled secret.
import { createHmac } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Decodes base32 as authenticator apps accept it: any case, padding and spaces ignored. */
export function base32Decode(s) {
  const clean = s.toUpperCase().replace(/[\s=]/g, "");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error("the TOTP secret is not base32");
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP of a counter. */
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 10 ** digits).padStart(digits, "0");
}

/** The TOTP code of a base32 secret at unixSeconds (default: now). */
export function totp(secret, unixSeconds = Date.now() / 1000, { period = 30, digits = 6 } = {}) {
  return hotp(base32Decode(secret), Math.floor(unixSeconds / period), digits);
}
