// Keyboard shortcuts, and the snooze, priority and tag controls of a conversation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, SHOTS, OWNER, launch, api, newConversation, signIn } from "./lib.mjs";

let browser, owner;
before(async () => {
  browser = await launch();
  owner = await signIn(browser, OWNER);
});
after(async () => { await browser?.close(); });

const conv = (id) => api(OWNER, "GET", `/api/v1/conversations/${id}`);

/** Wait until `check(conversation)` holds, via the API. */
async function until(id, check, what, ms = 3000) {
  const end = Date.now() + ms;
  let c;
  while (Date.now() < end) {
    c = await conv(id);
    if (check(c)) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: ${JSON.stringify(c)}`);
}

test("keyboard: j/k move, a assigns to me, Enter opens, j/k go on from a conversation, c closes, ? shows help", async () => {
  const word = `kbd${Date.now()}`;
  for (let i = 0; i < 3; i++) await newConversation(`Keyboard ${word} number ${i}`);
  const { page } = owner;
  await page.goto(`${BASE}/?view=all&q=${word}`);
  const ids = await page.$$eval(".rows .row", (rs) => rs.map((r) => r.dataset.id));
  assert.equal(ids.length, 3);
  const selected = () => page.$eval(".row.selected", (r) => r.dataset.id);
  // Screen-reader affordances: labelled filters and a polite live region.
  for (const f of ["q", "status", "channel", "priority"]) assert.equal(await page.locator(`label[for=${f}]`).count(), 1, f);
  assert.equal(await page.locator("#live-note[aria-live=polite]").count(), 1);

  await page.keyboard.press("j");
  assert.equal(await selected(), ids[0]);
  await page.keyboard.press("j");
  assert.equal(await selected(), ids[1]);
  await page.keyboard.press("k");
  assert.equal(await selected(), ids[0]);

  await page.keyboard.press("a");
  await until(ids[0], (c) => c.assignee?.name === "Olivia Owens", "a assigns to me");
  await page.locator(`.row[data-id="${ids[0]}"] .owner`, { hasText: "Olivia Owens" }).waitFor({ timeout: 3000 });

  await page.keyboard.press("?");
  const help = page.locator("dialog#shortcuts");
  await help.waitFor({ state: "visible" });
  assert.match(await help.innerText(), /Assign to me/);
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "hidden" });

  await page.locator(`.row[data-id="${ids[0]}"] .row-main`).focus();
  await Promise.all([page.waitForURL(`${BASE}/c/${ids[0]}`), page.keyboard.press("Enter")]);
  await Promise.all([page.waitForURL(`${BASE}/c/${ids[1]}`), page.keyboard.press("j")]);
  await page.keyboard.press("c");
  await until(ids[1], (c) => c.status === "closed", "c closes");
  await page.locator("[data-action=reopen]").waitFor({ timeout: 3000 });
  await Promise.all([page.waitForURL(`${BASE}/c/${ids[0]}`), page.keyboard.press("k")]);
});

test("snooze, priority and tags from the conversation page", async () => {
  const c = await newConversation("Please look at my order later");
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.waitForFunction(() => document.body.dataset.live === "on");

  // Priority.
  await page.selectOption("#priority-select", "urgent");
  await until(c.id, (v) => v.priority === "urgent", "priority");
  await page.locator(".conv-header .prio-urgent").waitFor({ timeout: 3000 });

  // Tags: added (normalized by the store), then one removed.
  await page.fill("#tag-input", " VIP, Billing ");
  await page.press("#tag-input", "Enter");
  await until(c.id, (v) => JSON.stringify(v.tags) === '["billing","vip"]', "tags added");
  await page.locator("[data-slot=tags] [data-tag=vip]").waitFor({ timeout: 3000 });
  // The chip can arrive by the live update before the form's own answer,
  // which is what clears the input: wait for that answer.
  await page.waitForFunction(() => document.querySelector("#tag-input").value === "", null, { timeout: 3000 });
  assert.equal(await page.inputValue("#tag-input"), "");
  await page.click('button[aria-label="Remove tag vip"]');
  await page.locator("[data-slot=tags] [data-tag=vip]").waitFor({ state: "detached", timeout: 3000 });
  assert.deepEqual((await conv(c.id)).tags, ["billing"]);

  // A refused tag: the error shows inline and what was typed stays, even across a live update.
  const long = "x".repeat(70);
  await page.fill("#tag-input", long);
  await page.press("#tag-input", "Enter");
  await page.locator("#tags-error", { hasText: "64" }).waitFor({ timeout: 3000 });
  assert.equal(await page.inputValue("#tag-input"), long);
  await api(OWNER, "PATCH", `/api/v1/conversations/${c.id}`, { priority: "high" });
  await page.locator(".conv-header .prio-high").waitFor({ timeout: 3000 });
  assert.equal(await page.inputValue("#tag-input"), long, "a live update keeps the typed tag");
  assert.match(await page.locator("#tags-error").innerText(), /64/);
  await page.fill("#tag-input", "");

  // Snooze until tomorrow 9:00; the header says until when; Reopen wakes it.
  await page.click("[data-menu=snooze] summary");
  await page.click("[data-snooze=tomorrow]");
  const snoozed = await until(c.id, (v) => v.status === "snoozed", "snoozed");
  const at = new Date(snoozed.snoozed_until);
  assert.ok(at > new Date(), "in the future");
  assert.equal(at.getUTCMinutes(), 0);
  await page.locator("[data-testid=snoozed-until]").waitFor({ timeout: 3000 });
  await page.screenshot({ path: `${SHOTS}/conversation-controls.png` });
  await page.click("[data-action=reopen]");
  await until(c.id, (v) => v.status === "open" && !v.snoozed_until, "reopened");
  await page.locator("[data-testid=snoozed-until]").waitFor({ state: "detached", timeout: 3000 });
});
