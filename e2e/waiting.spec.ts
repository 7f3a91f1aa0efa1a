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
  // Away to the landing page, in the same tab (the Duet link: the tab keeps its socket).
  for (const { page } of people) {
    await page.getByRole("banner").getByRole("link", { name: "Duet", exact: true }).click();
    await expect(heading(page, "Duet")).toBeVisible();
    await expect(
      page.getByRole("link", { name: "Go back to the waiting screen", exact: true }),
    ).toBeVisible();
  }
  await menti.page.waitForTimeout(AWAY_MS);

  for (const { page, title, clock } of people) {
    await page.getByRole("link", { name: "Go back to the waiting screen", exact: true }).click();
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
