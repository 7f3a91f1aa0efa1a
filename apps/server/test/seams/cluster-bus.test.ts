import { LocalClusterBus } from "../../src/gateway/cluster-bus";
import { clusterBusContract } from "./cluster-bus.contract";

clusterBusContract("LocalClusterBus (this process)", async () => {
  const bus = new LocalClusterBus();
  return { nodes: [bus, bus], settle: async () => undefined };
});
