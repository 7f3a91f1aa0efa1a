// Server components only: `next/headers` cannot be imported by client code.
import {
  ADMIN_PAGE_STATES,
  type AdminPageState,
  MAX_TOPIC_LIST,
  PAGE_FACT_HEADERS,
  TOPIC_PATTERN,
  VIDEO_PATHS,
  type VideoPath,
} from "@duet/protocol/constants";
import { headers } from "next/headers";

/**
 * Page facts the Duet server put on this request (apps/server/src/page-facts.ts): read in server
 * components so a page is right in its first paint. Null when the page is served without the Duet
 * server in front (e.g. `next dev` alone): the page then learns the same from the server later.
 */
async function fact<T extends string>(name: string, allowed: readonly T[]): Promise<T | null> {
  const value = (await headers()).get(name);
  return allowed.find((a) => a === value) ?? null;
}

/** Whether calls may connect straight between devices ("all") or only through the relay. */
export function videoPathFact(): Promise<VideoPath | null> {
  return fact(PAGE_FACT_HEADERS.videoPath, VIDEO_PATHS);
}

/** The moderator's session as of this request (on /admin). */
export function adminPageFact(): Promise<AdminPageState | null> {
  return fact(PAGE_FACT_HEADERS.adminPage, ADMIN_PAGE_STATES);
}

/**
 * The topics stimchat offers (on /stimchat), or null. Only well-formed topics, at most as many as
 * the configuration allows: the header is the server's, but a page trusts no more than it needs.
 */
export async function stimchatTopicsFact(): Promise<string[] | null> {
  const value = (await headers()).get(PAGE_FACT_HEADERS.stimchatTopics);
  if (!value) return null;
  const topics = value.split(",");
  if (topics.length > MAX_TOPIC_LIST || !topics.every((t) => TOPIC_PATTERN.test(t))) return null;
  return topics;
}
