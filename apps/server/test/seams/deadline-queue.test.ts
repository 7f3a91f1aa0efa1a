import { LocalDeadlineQueue } from "../../src/gateway/deadlines";
import { deadlineQueueContract, type Item } from "./deadline-queue.contract";
import { ManualScheduler } from "./manual-scheduler";

deadlineQueueContract("LocalDeadlineQueue", async () => {
  const scheduler = new ManualScheduler();
  return {
    queue: new LocalDeadlineQueue<Item>(scheduler),
    now: () => scheduler.now(),
    advance: async (ms) => scheduler.advance(ms),
  };
});
