export * from "./engine";
export * from "./matcher";
export * from "./memory-store";
export * from "./outcome";
export * from "./policy";
export type * from "./store";
export * from "./transitions";
export type * from "./types";
