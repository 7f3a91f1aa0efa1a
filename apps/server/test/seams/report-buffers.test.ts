import { createReportBuffers } from "../../src/gateway/reports";
import { reportBuffersContract } from "./report-buffers.contract";

// One process: both "nodes" are the same buffers.
reportBuffersContract("createReportBuffers (this process)", async (policies) => {
  const buffers = createReportBuffers(policies);
  return { here: buffers, there: buffers, settle: async () => undefined };
});
