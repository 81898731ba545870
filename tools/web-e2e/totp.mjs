// Prints the TOTP codes lib/totp.mjs computes for $TOTP_SECRET at each
// Unix time in $TOTP_TIMES (comma-separated), as one JSON line
// {"ok":true,"codes":[…]}: internal/e2e/webapp checks them against the
// server's own validator before trusting the browser run's sign-in.
import { totp } from "./lib/totp.mjs";

try {
  const secret = process.env.TOTP_SECRET || "";
  const times = (process.env.TOTP_TIMES || "").split(",").filter(Boolean).map(Number);
  if (!secret || times.length === 0 || times.some((t) => !Number.isFinite(t))) throw new Error("TOTP_SECRET and TOTP_TIMES are required");
  console.log(JSON.stringify({ ok: true, codes: times.map((t) => totp(secret, t)) }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: String(err && err.message || err) }));
  process.exit(1);
}
