/**
 * One cluster node as a process of its own, for the crash test (crash.test.ts): started with the
 * cluster's environment, it prints one JSON line `{ "port", "node" }` once it serves, and then
 * runs until it is killed (the test sends SIGKILL: no shutdown, no goodbye, as a crash).
 *
 *   node --import tsx apps/server/test/cluster/node-process.ts   (env: REDIS_URL, DATABASE_URL…)
 */
import { startClusterNode } from "../harness";

const env = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
);
const node = await startClusterNode(env, { tuning: { presenceEveryMs: 200 } });
process.stdout.write(`${JSON.stringify({ port: node.port, node: node.node })}\n`);
