import { Claims } from "../../src/claims";
import { tokenClaimsContract } from "./token-claims.contract";

tokenClaimsContract("Claims (this process)", async () => new Claims());
