/**
 * menti (peer support), end to end in real browsers: pairing by intent, the conversation, and
 * every way it ends (SPEC §1 menti, §2, §3's failure table). Each person is an isolated browser
 * context (own localStorage, so own browser id) unless a test says otherwise.
 */

import {
  alertWith,
  button,
  conversationLog,
  endedReason,
  expect,
  expectActiveRoom,
  heading,
  intentButton,
  messageBox,
  messageItems,
  openMenti,
  pairTalkAndListen,
  ROOM_PATH,
  randomSessionId,
  sendWithEnter,
  startWaiting,
  TEXT,
  test,
} from "./fixtures";
import { watchConsole } from "./support/console";

/** Home with the "conversation has ended" banner: where every refused room sends people. */
const ENDED_HOME = /\/\?ended=1$/;

test("a Talk user and a Listen user meet in one room and talk both ways", async ({ newUser }) => {
  const { talker, listener } = await pairTalkAndListen(newUser);

  // Enter sends.
  await sendWithEnter(talker.page, "Hello, thank you for being here.");
  await expect(messageItems(listener.page)).toHaveText(["Them: Hello, thank you for being here."]);

  // The Send button sends.
  await messageBox(listener.page).fill("Of course. How are you feeling tonight?");
  await button(listener.page, "Send").click();
  await expect(messageBox(listener.page)).toHaveValue("");
  const firstTwo = {
    talker: [
      "You: Hello, thank you for being here.",
      "Them: Of course. How are you feeling tonight?",
    ],
    listener: [
      "Them: Hello, thank you for being here.",
      "You: Of course. How are you feeling tonight?",
    ],
  };
  await expect(messageItems(listener.page)).toHaveText(firstTwo.listener);
  await expect(messageItems(talker.page)).toHaveText(firstTwo.talker);

  // Shift+Enter starts a new line instead of sending (sending would have emptied the box).
  const box = messageBox(talker.page);
  await box.pressSequentially("A bit tired.");
  await box.press("Shift+Enter");
  await box.pressSequentially("But better now.");
  await expect(box).toHaveValue("A bit tired.\nBut better now.");
  await expect(messageItems(talker.page)).toHaveText(firstTwo.talker);

  // Enter then sends both lines as one message, line break kept.
  await box.press("Enter");
  await expect(box).toHaveValue("");
  await expect(messageItems(talker.page)).toHaveText([
    ...firstTwo.talker,
    "You: A bit tired. But better now.",
  ]);
  await expect(messageItems(listener.page)).toHaveText([
    ...firstTwo.listener,
    "Them: A bit tired. But better now.",
  ]);
  await expect(messageItems(listener.page).last().locator(".message-text")).toHaveJSProperty(
    "textContent",
    "A bit tired.\nBut better now.",
  );
});

test("a refresh ends the conversation for both: the partner is told", async ({ newUser }) => {
  const { talker, listener } = await pairTalkAndListen(newUser);

  // The browser asks first (a refresh ends the conversation for both); the person goes ahead.
  const asked: string[] = [];
  talker.page.once("dialog", (dialog) => {
    asked.push(dialog.type());
    void dialog.accept();
  });
  const reloaded = talker.page.reload();
  // The other person sees the ended screen (how fast: `npm run bench`'s "notice" figure, the
  // time from a close to the partner's ENDED).
  await expect(endedReason(listener.page, TEXT.reason.partnerDisconnected)).toBeVisible();
  await expect(heading(listener.page, TEXT.endedTitle)).toBeVisible();
  await expect(button(listener.page, "Talk to someone new")).toBeVisible();
  await expect(listener.page.getByRole("link", { name: "Home", exact: true })).toBeVisible();

  // The refreshed page is a new visitor: its old room is refused and it is sent home.
  await reloaded;
  expect(asked).toEqual(["beforeunload"]);
  await expect(talker.page).toHaveURL(ENDED_HOME);
  await expect(talker.page.getByRole("status").filter({ hasText: TEXT.endedHome })).toBeVisible();
  await expect(conversationLog(talker.page)).toHaveCount(0);
});

test("two Talk users are never paired; a Listen user meets the one who waited longest", async ({
  newUser,
}) => {
  const first = await newUser();
  const second = await newUser();
  await startWaiting(first.page, "talk");
  await startWaiting(second.page, "talk");

  // Talk + talk is never a pair: both are still waiting after a while.
  await first.page.waitForTimeout(2_000);
  for (const user of [first, second]) {
    await expect(heading(user.page, TEXT.waitingTitle)).toBeVisible();
    await expect(user.page).toHaveURL(/\/menti$/);
  }

  const listener = await newUser();
  await openMenti(listener.page);
  await intentButton(listener.page, "listen").click();
  await expectActiveRoom(listener.page);
  await expectActiveRoom(first.page);
  expect(new URL(first.page.url()).pathname).toBe(new URL(listener.page.url()).pathname);

  // The one who came later keeps waiting, on the waiting screen, untouched.
  await expect(heading(second.page, TEXT.waitingTitle)).toBeVisible();
  await expect(second.page.getByText("You chose: Talk", { exact: true })).toBeVisible();
  await expect(second.page).toHaveURL(/\/menti$/);
});

test("a made-up room URL sends the visitor home with 'This conversation has ended'", async ({
  newUser,
}) => {
  const visitor = await newUser();
  await visitor.page.goto(`/room/${randomSessionId()}`);
  await expect(visitor.page).toHaveURL(ENDED_HOME);
  await expect(visitor.page.getByRole("status").filter({ hasText: TEXT.endedHome })).toBeVisible();
  await expect(heading(visitor.page, "Duet")).toBeVisible();
  await expect(visitor.page.getByRole("link", { name: /^Peer support/ })).toBeVisible();
});

test("someone else's live room is refused and the conversation carries on", async ({ newUser }) => {
  const { talker, listener, roomPath } = await pairTalkAndListen(newUser);

  const intruder = await newUser();
  await intruder.page.goto(roomPath);
  await expect(intruder.page).toHaveURL(ENDED_HOME);
  await expect(intruder.page.getByRole("status").filter({ hasText: TEXT.endedHome })).toBeVisible();

  await sendWithEnter(listener.page, "Still here.");
  await expect(messageItems(talker.page)).toHaveText(["Them: Still here."]);
  await expect(conversationLog(listener.page)).toBeVisible();
});

test("an ended conversation's room URL, opened again, sends the visitor home", async ({
  newUser,
}) => {
  const { talker, listener, roomPath } = await pairTalkAndListen(newUser);
  await button(listener.page, "Exit").click();
  await button(listener.page, "Leave conversation").click();
  await expect(endedReason(talker.page, TEXT.reason.partnerLeft)).toBeVisible();
  await expect(endedReason(listener.page, TEXT.reason.youLeft)).toBeVisible();

  // A new page of each participant's own browser (same browser id), on the old URL.
  for (const user of [talker, listener]) {
    const again = await user.context.newPage();
    const problems = watchConsole(again);
    await again.goto(roomPath);
    await expect(again).toHaveURL(ENDED_HOME);
    await expect(again.getByRole("status").filter({ hasText: TEXT.endedHome })).toBeVisible();
    await expect(conversationLog(again)).toHaveCount(0);
    problems.expectNone();
  }

  // The pages that were in it still show the ended screen.
  await expect(heading(talker.page, TEXT.endedTitle)).toBeVisible();
  await expect(heading(listener.page, TEXT.endedTitle)).toBeVisible();
});

test("Exit asks gently: Stay keeps the conversation, Leave ends it for both", async ({
  newUser,
}) => {
  const { talker, listener } = await pairTalkAndListen(newUser);
  const page = talker.page;
  const confirm = page.getByRole("dialog", { name: TEXT.exitQuestion, exact: true });

  await button(page, "Exit").click();
  await expect(confirm).toBeVisible();
  await expect(button(page, "Stay")).toBeFocused();
  await button(page, "Stay").click();
  await expect(confirm).toBeHidden();
  await expect(button(page, "Exit")).toBeFocused();
  // Nothing happened to the conversation.
  await sendWithEnter(listener.page, "Are you still there?");
  await expect(messageItems(page)).toHaveText(["Them: Are you still there?"]);
  await sendWithEnter(page, "Yes, still here.");
  await expect(messageItems(listener.page)).toHaveText([
    "You: Are you still there?",
    "Them: Yes, still here.",
  ]);

  await button(page, "Exit").click();
  await expect(confirm).toBeVisible();
  await button(page, "Leave conversation").click();
  await expect(confirm).toBeHidden();
  await expect(heading(page, TEXT.endedTitle)).toBeVisible();
  await expect(endedReason(page, TEXT.reason.youLeft)).toBeVisible();
  await expect(heading(listener.page, TEXT.endedTitle)).toBeVisible();
  await expect(endedReason(listener.page, TEXT.reason.partnerLeft)).toBeVisible();
  await expect(heading(page, TEXT.endedTitle)).toBeFocused();
  for (const p of [page, listener.page]) {
    await expect(messageBox(p)).toHaveCount(0);
    await expect(p).toHaveURL(ROOM_PATH);
  }

  // "Talk to someone new": straight back to waiting, with the same intent.
  await button(listener.page, "Talk to someone new").click();
  await expect(listener.page).toHaveURL(/\/menti$/);
  await expect(heading(listener.page, TEXT.waitingTitle)).toBeVisible();
  await expect(listener.page.getByText("You chose: Listen", { exact: true })).toBeVisible();

  // "Home": the landing page.
  await page.getByRole("link", { name: "Home", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(heading(page, "Duet")).toBeVisible();
  await expect(page.getByRole("link", { name: /^Peer support/ })).toBeVisible();
});

test("a partner who never enters the room: 'Connecting you…', then the join timeout", async ({
  newUser,
  rawClient,
}) => {
  const person = await newUser();
  await startWaiting(person.page, "talk");

  // The partner is a bare socket that joins as a listener and then never enters the room.
  const absent = await rawClient();
  expect(await absent.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
  const matched = await absent.waitForState("MATCHED");

  await expect(person.page).toHaveURL(new RegExp(`/room/${matched.sessionId}$`));
  await expect(heading(person.page, "Conversation")).toBeVisible();
  await expect(person.page.getByRole("status").filter({ hasText: TEXT.connecting })).toBeVisible();
  await expect(messageBox(person.page)).toHaveCount(0);

  // MENTI_JOIN_TIMEOUT_MS is 20 s in playwright.config.ts.
  await expect(endedReason(person.page, TEXT.reason.partnerLate)).toBeVisible({ timeout: 60_000 });
  await expect(heading(person.page, TEXT.endedTitle)).toBeVisible();
  const ended = await absent.waitForState("ENDED");
  expect(ended).toMatchObject({ sessionId: matched.sessionId, reason: "join_timeout" });
});

test("the one who never entered the room is told that it was them", async ({
  newUser,
  rawClient,
}) => {
  const person = await newUser();
  // A stalled tab: this page's `enter` never reaches the server; every other frame passes.
  await person.page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((frame) => {
      if (typeof frame === "string" && /^42\d*\["enter"/.test(frame)) return;
      server.send(frame);
    });
  });
  await startWaiting(person.page, "talk");

  const partner = await rawClient();
  expect(await partner.emit("join", { space: "menti", intent: "listen" })).toEqual({ ok: true });
  const matched = await partner.waitForState("MATCHED");
  expect(await partner.emit("enter", { sessionId: matched.sessionId })).toEqual({ ok: true });

  await expect(person.page).toHaveURL(new RegExp(`/room/${matched.sessionId}$`));
  await expect(person.page.getByRole("status").filter({ hasText: TEXT.connecting })).toBeVisible();

  // The partner did enter; it is this person who didn't (UI contract: apps/web/lib/copy.ts).
  const ended = await partner.waitForState("ENDED", 60_000);
  expect(ended).toMatchObject({ sessionId: matched.sessionId, reason: "join_timeout" });
  await expect(heading(person.page, TEXT.endedTitle)).toBeVisible();
  await expect(endedReason(person.page, TEXT.reason.youLate)).toBeVisible();
  await expect(endedReason(person.page, TEXT.reason.partnerLate)).toHaveCount(0);
});

test("two tabs of one browser: the second can't also wait, and they are never paired", async ({
  newUser,
}) => {
  const user = await newUser();
  const firstTab = user.page;
  const secondTab = await user.context.newPage();
  const secondTabConsole = watchConsole(secondTab);

  await startWaiting(firstTab, "talk");
  await openMenti(secondTab);
  // Listen would suit the first tab's Talk: only the shared browser id keeps them apart.
  await intentButton(secondTab, "listen").click();
  await expect(alertWith(secondTab, TEXT.alreadyWaitingElsewhere)).toBeVisible();
  await expect(heading(secondTab, TEXT.mentiTitle)).toBeVisible();

  await firstTab.waitForTimeout(1_500);
  await expect(heading(firstTab, TEXT.waitingTitle)).toBeVisible();
  await expect(firstTab).toHaveURL(/\/menti$/);
  await expect(secondTab).toHaveURL(/\/menti$/);

  // Someone else who listens is paired with the first tab; the second tab stays where it was.
  const stranger = await newUser();
  await openMenti(stranger.page);
  await intentButton(stranger.page, "listen").click();
  await expectActiveRoom(stranger.page);
  await expectActiveRoom(firstTab);
  expect(new URL(firstTab.url()).pathname).toBe(new URL(stranger.page.url()).pathname);
  await expect(heading(secondTab, TEXT.mentiTitle)).toBeVisible();
  await expect(secondTab).toHaveURL(/\/menti$/);

  secondTabConsole.expectNone();
});
