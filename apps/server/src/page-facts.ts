/**
 * Page facts (PAGE_FACT_HEADERS in @duet/protocol): what the server knows that a page's first
 * render needs, handed to Next.js as request headers the way the CSP nonce is (headers.ts). The
 * dormparty page says whether video goes straight between devices before the connection opens,
 * and /admin renders the sign-in form or the console at once instead of "Checking…" and a fetch;
 * /stimchat draws its topic buttons at once instead of when `welcome` arrives.
 *
 * Every request loses any such header a client sent, so a page can only read what this server
 * set. They are hints for the first paint, never authority: the admin API still checks the
 * session cookie on every call, and `welcome` still carries the ICE policy.
 */
import type { IncomingMessage } from "node:http";
import { type AdminPageState, PAGE_FACT_HEADERS, type VideoPath } from "@duet/protocol";

export interface PageFacts {
  readonly videoPath: VideoPath;
  /** The topics stimchat offers; undefined when stimchat is not offered or has none. */
  readonly stimchatTopics?: readonly string[] | undefined;
  /** The moderator session this request's cookie holds (restarts its idle timer, like the API). */
  adminPage(req: IncomingMessage): AdminPageState | Promise<AdminPageState>;
}

/** The admin page's path: the one page that gets the admin session fact. */
const ADMIN_PAGE = "/admin";
/** The stimchat page's path: the one page that gets the topics fact. */
const STIMCHAT_PAGE = "/stimchat";

const isPage = (page: string, path: string): boolean => page === path || page === `${path}/`;

/**
 * Removes client-sent page facts from `req`, then sets this server's when `page` is the path of
 * a page request and `facts` are known (undefined until the database is open). Returns a promise
 * only when a fact must be fetched (a remote admin session store); the request waits for it.
 */
export function setPageFacts(
  req: IncomingMessage,
  page: string | undefined,
  facts: PageFacts | undefined,
): Promise<void> | undefined {
  delete req.headers[PAGE_FACT_HEADERS.videoPath];
  delete req.headers[PAGE_FACT_HEADERS.adminPage];
  delete req.headers[PAGE_FACT_HEADERS.stimchatTopics];
  if (page === undefined || facts === undefined) return undefined;
  req.headers[PAGE_FACT_HEADERS.videoPath] = facts.videoPath;
  if (isPage(page, STIMCHAT_PAGE) && facts.stimchatTopics?.length) {
    // Header-safe as they are: the configuration allows only a-z, 0-9, space and "-" in a topic.
    req.headers[PAGE_FACT_HEADERS.stimchatTopics] = facts.stimchatTopics.join(",");
  }
  if (!isPage(page, ADMIN_PAGE)) return undefined;
  const state = facts.adminPage(req);
  if (!(state instanceof Promise)) {
    req.headers[PAGE_FACT_HEADERS.adminPage] = state;
    return undefined;
  }
  return state.then((s) => {
    req.headers[PAGE_FACT_HEADERS.adminPage] = s;
  });
}
