// Builds dist/housecall.mjs (one ES module, esbuild) and its type
// declarations (tsc) for `make sdk`. The Go server embeds and serves the
// module at /sdk/housecall.mjs; nothing here is committed.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const { version } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(here, "src", "index.ts")],
  outfile: join(dist, "housecall.mjs"),
  bundle: true,
  format: "esm",
  platform: "browser",
  // Browsers that ship RTCRtpSender.setParameters with encodings and
  // ResizeObserver: Chrome/Edge 90+, Firefox 90+, Safari 15+.
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  sourcemap: "linked",
  legalComments: "none",
  define: { __SDK_VERSION__: JSON.stringify(version) },
  banner: { js: `// Housecall JavaScript SDK ${version}. Built file: edit sdk/js/src, run make sdk.` },
  logLevel: "warning",
});

execFileSync(process.execPath, [join(here, "node_modules", "typescript", "bin", "tsc"), "-p", join(here, "tsconfig.json")], {
  stdio: "inherit",
});
writeFileSync(join(dist, "housecall.d.ts"), 'export * from "./types/index.js";\n');
console.log(`built ${join("dist", "housecall.mjs")} and its declarations`);
