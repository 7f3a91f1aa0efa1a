import { defineConfig } from "drizzle-kit";

// Generates versioned SQL migrations from src/schema.ts (offline: no database needed).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./migrations",
});
