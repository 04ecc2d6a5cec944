import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Tauri expects a fixed port in dev and static files in ui/dist for release builds.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  base: "./",
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // No source maps in the shipped bundle.
    sourcemap: false,
  },
});
