import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The SDK is bundled from its TypeScript source so that only what the app
// uses ends up in the patient's download.
const sdk = fileURLToPath(new URL("../sdk/js/src/index.ts", import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@housecall/sdk": sdk } },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    manifest: true,
    target: "es2022",
    // The patient path has a budget (docs/benchmarks.md); warn well before it.
    chunkSizeWarningLimit: 600,
  },
  server: {
    // In development the Go server (serve --dev --ui-dev-url http://127.0.0.1:5173)
    // proxies the UI to Vite; the browser talks to the Go server only.
    strictPort: true,
    hmr: { clientPort: undefined },
  },
});
