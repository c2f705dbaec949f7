import { defineConfig } from "vite";

// Plain Vite: Preact's JSX through esbuild, no plugin needed.
// VITE_API_URL and VITE_WS_URL (optional) are read at build time in src/config.ts.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2020", sourcemap: true },
  server: {
    // `npm run dev` against a local `taskboard serve` on :8000.
    proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true }, "/dev": "http://127.0.0.1:8000" },
  },
});
