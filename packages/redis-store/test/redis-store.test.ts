import { storeContract } from "../../engine/test/store-contract";
import { RedisStore } from "../src";
import { useTestRedis } from "./support/redis";

const testRedis = useTestRedis();
let stores = 0;

storeContract("RedisStore", () => {
  stores += 1;
  return new RedisStore(testRedis.redis, { prefix: `contract-${stores}` });
});
