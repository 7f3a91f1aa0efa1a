/**
 * The waiting screens of all three spaces, seen again after looking elsewhere: the landing page
 * says "You are still looking for someone" with the link "Go back to the waiting screen"
 * (apps/web/README.md), and the screen it leads back to must still count the whole wait.
 */
import type { Page } from "@playwright/test";
import {
  button,
  CHAT,
  expect,
  expectDormpartyWaiting,
  heading,
  newStimchatUser,
  openDormparty,
  openStimchat,
  startSearching,
  startWaiting,
  TEXT,
  test,
} from "./fixtures";

/** How long each person spends on the landing page before going back. */
const AWAY_MS = 2_000;

/** The seconds the waiting screen's clock shows right now ("Time waiting: 1:05" → 65). */
async function clockSeconds(page: Page, label: RegExp): Promise<number> {
  const text = (await page.getByText(label).textContent()) ?? "";
  const match = /(\d+):(\d\d)$/.exec(text.trim());
  if (!match) throw new Error(`no m:ss clock in ${JSON.stringify(text)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

test("the waiting clock keeps counting while the person looks at the landing page", async ({
  newUser,
}) => {
  const menti = await newUser();
  const stimchat = await newStimchatUser(newUser);
  const dormparty = await newUser();

  await startWaiting(menti.page, "talk");
  await openDormparty(dormparty.page);
  await button(dormparty.page, CHAT.dormparty.start).click();
  await expectDormpartyWaiting(dormparty.page);
  // stimchat last and back first: its search ends after 20 s (playwright.config.ts).
  await openStimchat(stimchat.page);
  await startSearching(stimchat.page);
  const startedAt = Date.now();

  const people = [
    { page: stimchat.page, title: CHAT.stimchat.searching, clock: /^Time searching: / },
    { page: menti.page, title: TEXT.waitingTitle, clock: /^Time waiting: / },
    { page: dormparty.page, title: CHAT.dormparty.waiting, clock: /^Time waiting: / },
  ];
  // Each in turn (stimchat first: its search ends after 20 s, playwright.config.ts, and a loaded
  // machine can take that long for a few page visits): away to the landing page in the same tab
  // (the Duet link: the tab keeps its socket), a while there, then back.
  for (const { page, title, clock } of people) {
    await page.getByRole("banner").getByRole("link", { name: "Duet", exact: true }).click();
    await expect(heading(page, "Duet")).toBeVisible();
    const back = page.getByRole("link", { name: "Go back to the waiting screen", exact: true });
    await expect(back).toBeVisible();
    await page.waitForTimeout(AWAY_MS);
    await back.click();
    await expect(heading(page, title)).toBeVisible();
    // Read once, at once: the clock ticks on, so a retried check would pass after a while anyway.
    const shown = await clockSeconds(page, clock);
    const waited = Math.floor((Date.now() - startedAt) / 1000);
    // Soft: one report for every space.
    expect
      .soft(
        shown,
        `"${title}" after at least ${waited} s of waiting (${AWAY_MS / 1000} s of it on the landing page)`,
      )
      .toBeGreaterThanOrEqual(AWAY_MS / 1000);
  }
});

test("presence in coarse words: 'quiet right now' for a near-empty space, and on the waiting screen", async ({
  newUser,
}) => {
  const person = await newUser();
  await person.page.goto("/");
  const dormparty = person.page.getByRole("link", { name: /^Video chat/ });
  // Nobody in it (or a few): the same words, so nobody can watch a count go from 0 to 1.
  await expect(dormparty).toHaveAccessibleName(/quiet right now/);
  await startWaiting(person.page, "talk");
  // The waiting screen says how busy the space is too (this person is one of "a few").
  await expect(person.page.getByText(/^quiet right now/)).toBeVisible();
});

test("menti: when only other talkers are waiting, a talker is offered Both, which pairs them at once", async ({
  newUser,
  rawClient,
}) => {
  const person = await newUser();
  await startWaiting(person.page, "talk");
  const suggestion = person.page.getByText(/^Others are waiting to talk right now too\./);
  // Alone, nobody is told about themselves.
  await expect(person.page.getByText(/^quiet right now/)).toBeVisible();
  await expect(suggestion).toHaveCount(0);

  const other = await rawClient();
  expect(await other.emit("join", { space: "menti", intent: "talk" })).toEqual({ ok: true });
  // The next presence broadcast (every few seconds while it changes) brings the suggestion.
  await expect(suggestion).toBeVisible({ timeout: 30_000 });
  await button(person.page, "Switch to Both").click();
  // As Both, this person meets the other talker straight away.
  const matched = await other.waitForState("MATCHED");
  expect(await other.emit("enter", { sessionId: matched.sessionId })).toEqual({ ok: true });
  await expect(person.page).toHaveURL(new RegExp(`/room/${matched.sessionId}$`));
  await expect(heading(person.page, "Conversation")).toBeVisible();
  other.close();
});
