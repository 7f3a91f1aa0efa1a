import { LocalRouter } from "../../src/gateway/router";
import { MemoryCluster } from "../cluster/memory-cluster";
import { routerContract } from "./router.contract";

routerContract("LocalRouter (one process)", async () => ({
  nodes: [new LocalRouter("only")],
  settle: async () => undefined,
}));

routerContract("MemoryCluster (two nodes in memory, the shape of a cluster's router)", async () => {
  const cluster = new MemoryCluster();
  return { nodes: [cluster.router("a"), cluster.router("b")], settle: async () => undefined };
});
