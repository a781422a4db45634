import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built into dist/, which the API serves at / (ariadne_api/explorer.py).
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
});
