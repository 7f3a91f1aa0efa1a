/**
 * Zod (through @duet/protocol's schemas) probes once whether it may compile validators with
 * `new Function` ("JIT"). Under the pages' Content-Security-Policy, which has no 'unsafe-eval'
 * (apps/server/src/headers.ts), that probe is a CSP violation the browser logs as an error on
 * every page. `jitless` makes Zod validate without compiling, so nothing asks for eval. Imported
 * first by DuetProvider, which every page loads, before anything is parsed.
 */
import { config } from "zod";

config({ jitless: true });
