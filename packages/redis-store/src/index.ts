export { censusFromHash, keyPrefix, RedisStore, type RedisStoreOptions } from "./redis-store";
export { type LoadedScript, SCRIPT_NAMES, storeScripts } from "./scripts";
