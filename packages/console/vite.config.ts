import react from "@vitejs/plugin-react"
import { defineConfig } from "vite"

/** `vite dev` serves the console on :5173 and forwards the API's paths to a running `pnpm start` (API_URL). */
const api = process.env.API_URL ?? "http://127.0.0.1:8000"

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // The budget that matters is the first load gzipped (under 300 KB, checked by a test); Effect makes one chunk large.
    chunkSizeWarningLimit: 800
  },
  server: {
    host: "127.0.0.1",
    proxy: Object.fromEntries(
      ["/api", "/docs", "/openapi.json", "/health", "/metrics"].map((path) => [
        path,
        // The API sees the dev server's loopback Host, so the local sign-in works through the proxy too.
        { target: api, changeOrigin: false }
      ])
    )
  }
})
