import { RotatingSalt } from "../../src/limits";
import { saltContract } from "./salt.contract";

// One process: both "nodes" read the same salt.
saltContract("RotatingSalt (this process)", async (start, rotationMs) => {
  const salt = new RotatingSalt(start, rotationMs);
  return [salt, salt];
});
