// Types for check-install.mjs (plain JS so it runs before anything is compiled).
export const SINGLE_VERSION: string[];
export function lockProblems(lock: unknown, ourRange: string): string[];
export function nodeLineProblems(input: {
  readme: string;
  ourRange: string;
  nvmrc: string;
}): string[];
