// Prints the gzipped JavaScript each path of the app downloads, from Vite's
// manifest: the entry with its static imports plus the route's lazy chunk
// and its static imports. The patient path has a budget of 250 KB.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const dist = process.argv[2] ?? "dist";
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));
const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);

function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(dep, seen);
  return seen;
}

function gz(keys) {
  let total = 0;
  for (const k of keys) {
    const file = manifest[k].file;
    if (file.endsWith(".js")) total += gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  }
  return total;
}

const paths = {
  "patient (link → check → waiting room → call)": ["src/patient/index.tsx"],
  "guest": ["src/guest/index.tsx"],
  "provider": ["src/provider/index.tsx"],
  "admin": ["src/admin/index.tsx"],
};
const budget = { "patient (link → check → waiting room → call)": 250 * 1024 };
let failed = false;
console.log("path".padEnd(48), "JS gzipped");
for (const [name, lazy] of Object.entries(paths)) {
  const keys = closure(entry);
  for (const l of lazy) {
    if (!manifest[l]) {
      console.log(name.padEnd(48), "(no chunk " + l + ")");
      continue;
    }
    closure(l, keys);
  }
  const size = gz(keys);
  const over = budget[name] && size > budget[name];
  if (over) failed = true;
  console.log(name.padEnd(48), (size / 1024).toFixed(1) + " KB" + (budget[name] ? ` (budget ${budget[name] / 1024} KB${over ? ", OVER" : ""})` : ""));
}
process.exit(failed ? 1 : 0);
