/**
 * Cluster mode in real Chromium (issue 18): two Duet nodes, each a process with its own port,
 * over one Redis and one PostgreSQL (scripts/serve-cluster.ts; project "chromium-cluster").
 * Every pair here has one person on each node: they talk in menti and see each other's video in
 * dormparty, exactly as on one node. No sticky sessions exist to help: each browser talks only to
 * the node whose address it opened.
 */
import { CLUSTER_URLS } from "../playwright.config";
import {
  expect,
  messageItems,
  type NewUserFn,
  pairTalkAndListen,
  sendChat,
  sendWithEnter,
  test,
} from "./fixtures";
import { expectVideoFlows, pairTwo } from "./support/video";

/** A `newUser` whose users open the two nodes in turn: first node 1, then node 2, … */
function alternating(newUser: NewUserFn): NewUserFn {
  let next = 0;
  return (options = {}) => {
    const baseURL = CLUSTER_URLS[next % CLUSTER_URLS.length];
    next += 1;
    return newUser({ ...options, baseURL });
  };
}

test("menti: a talker on node 1 and a listener on node 2 meet and talk", async ({ newUser }) => {
  const { talker, listener } = await pairTalkAndListen(alternating(newUser));
  expect(new URL(talker.page.url()).port).toBe(new URL(CLUSTER_URLS[0] ?? "").port);
  expect(new URL(listener.page.url()).port).toBe(new URL(CLUSTER_URLS[1] ?? "").port);
  await sendWithEnter(talker.page, "hello from node one");
  await expect(messageItems(listener.page).last()).toHaveText("Them: hello from node one");
  await sendWithEnter(listener.page, "hi, node two here");
  await expect(messageItems(talker.page).last()).toHaveText("Them: hi, node two here");
});

test("dormparty: people on two nodes see each other's video and chat beside it", async ({
  newUser,
}) => {
  const [a, b] = await pairTwo(alternating(newUser));
  expect(new URL(a.page.url()).port).not.toBe(new URL(b.page.url()).port);
  for (const user of [a, b]) await expectVideoFlows(user.page);
  await sendChat(a.page, "can you see me across nodes?");
  await expect(messageItems(b.page)).toHaveText(["Stranger: can you see me across nodes?"]);
});
