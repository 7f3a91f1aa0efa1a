import { createReportBuffers } from "../../src/gateway/reports";
import { reportBuffersContract } from "./report-buffers.contract";

reportBuffersContract("createReportBuffers (this process)", async (policies) =>
  createReportBuffers(policies),
);
