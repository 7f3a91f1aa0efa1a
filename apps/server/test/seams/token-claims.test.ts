import { Claims } from "../../src/claims";
import { tokenClaimsContract } from "./token-claims.contract";

// One process: both "nodes" share one set of claims.
tokenClaimsContract("Claims (this process)", async () => {
  const claims = new Claims();
  return [claims, claims];
});
