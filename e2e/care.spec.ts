/**
 * menti's care signposting (issue 16): words that suggest crisis or self-harm, typed or read,
 * bring a calm line with one tap to the help panel, in the browser only: the message is sent as
 * written, and the page sends the server nothing it would not send anyway.
 */
import {
  button,
  expect,
  expectActiveRoom,
  intentButton,
  messageBox,
  messageItems,
  openMenti,
  sendWithEnter,
  startWaiting,
  TEXT,
  test,
} from "./fixtures";

const WRITER_LINE = /^If you're thinking about suicide or self-harm, you can talk to someone now\./;
const READER_LINE = /^If the person you're talking with is thinking about suicide or self-harm/;

test("typing or reading crisis words offers help, changes nothing, and tells the server nothing", async ({
  newUser,
}) => {
  const talker = await newUser();
  const page = talker.page;
  // Every Socket.IO event the talker's page sends, by name (listening before its socket opens).
  const events: string[] = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => {
      const match = /^42(?:\d+)?\["([^"]+)"/.exec(String(payload));
      if (match?.[1]) events.push(match[1]);
    });
  });
  await startWaiting(page, "talk");
  const listener = await newUser();
  const other = listener.page;
  await openMenti(other);
  await intentButton(other, "listen").click();
  await expectActiveRoom(other);
  await expectActiveRoom(page);
  const before = events.length;

  // An ordinary conversation: nothing is shown.
  await sendWithEnter(page, "exams are killing me this week");
  await expect(page.getByText(WRITER_LINE)).toHaveCount(0);
  await expect(other.getByText(READER_LINE)).toHaveCount(0);

  // Typing the words (not yet sent) already offers help to the writer.
  const words = "honestly I don't want to live anymore";
  await messageBox(page).fill(words);
  await expect(page.getByText(WRITER_LINE)).toBeVisible();
  await messageBox(page).press("Enter");
  // Sent exactly as written; the reader is offered help to share.
  await expect(messageItems(other).last()).toHaveText(`Them: ${words}`);
  await expect(other.getByText(READER_LINE)).toBeVisible();

  // One tap to the help panel (the writer's button is "I need help").
  await page
    .locator(".care-signpost")
    .getByRole("button", { name: "I need help", exact: true })
    .click();
  const help = page.getByRole("dialog", { name: TEXT.helpTitle, exact: true });
  await expect(help).toBeVisible();
  await button(page, "Close").click();
  await expect(help).toHaveCount(0);

  // "Not now" puts it away for this conversation; the conversation goes on.
  await other
    .locator(".care-signpost")
    .getByRole("button", { name: "Not now", exact: true })
    .click();
  await expect(other.getByText(READER_LINE)).toHaveCount(0);
  await sendWithEnter(other, "I'm really glad you told me. I'm here.");

  // In the room, the talker's page sent only its messages: nothing about the signpost.
  expect(events.slice(before)).toEqual(["send", "send"]);
});
