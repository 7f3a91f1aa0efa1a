import { SpentChallenges } from "../../src/identity/pow";
import { spentChallengesContract } from "./spent-challenges.contract";

// One process: both "nodes" are the same memory.
spentChallengesContract("SpentChallenges (this process)", async () => {
  const spent = new SpentChallenges();
  return [spent, spent];
});
