// The web inbox in a real browser: each scenario of issue 5.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE, SHOTS, OWNER, launch, api, newConversation, ids, signIn } from "./lib.mjs";

let browser, owner, dir;
before(async () => {
  browser = await launch();
  dir = await ids();
  owner = await signIn(browser, OWNER);
});
after(async () => { await browser?.close(); });

const conv = (c) => api(OWNER, "GET", `/api/v1/conversations/${c.id}`);
const agentNamed = (n) => dir.agents.find((a) => a.name === n);
const teamNamed = (n) => dir.teams.find((t) => t.name === n);

test("sign in shows the inbox with its views and counts", async () => {
  const { page } = owner;
  await page.goto(BASE + "/?view=all");
  for (const label of ["Mine", "Unassigned", "All", "AI queue", "Support"]) {
    assert.ok(await page.locator("#views a", { hasText: label }).count() >= 1, label);
  }
  assert.ok(await page.locator(".rows .row").count() > 0);
  await page.screenshot({ path: `${SHOTS}/inbox.png` });
});

test("a wrong password is refused", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(BASE + "/login");
  await page.fill("#email", OWNER);
  await page.fill("#password", "not-the-password");
  await page.click("button[type=submit]");
  await page.locator(".error").waitFor();
  await context.close();
});

test("assign a user from the header", async () => {
  const c = await newConversation();
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.click(".conv-header [data-picker=assignee] summary");
  await page.fill(".conv-header [data-picker=assignee] .picker-search", "chen");
  await page.click('.conv-header [data-picker=assignee] button[data-label^="chen wei"]');
  await page.locator('[data-slot=assignee] .holder', { hasText: "Chen Wei" }).waitFor({ timeout: 3000 });
  assert.equal((await conv(c)).assignee.name, "Chen Wei");
});

test("assign an agent with an initial message shows the banner; End session ends it", async () => {
  const c = await newConversation();
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.click(".conv-header [data-picker=agent] summary");
  await page.check(".conv-header [data-picker=agent] input[name=send_initial_message]");
  await page.click('.conv-header [data-picker=agent] button[data-label^="ava"]');
  await page.locator("[data-testid=agent-banner]").waitFor({ timeout: 3000 });
  assert.ok((await conv(c)).agent_session);
  await page.screenshot({ path: `${SHOTS}/conversation-agent.png` });
  await page.click("[data-action=end-session]");
  await page.locator("[data-testid=agent-banner]").waitFor({ state: "detached", timeout: 3000 });
  const after = await conv(c);
  assert.equal(after.agent_session, null);
  assert.equal(after.agent.name, "Ava");
});

test("take over from the AI queue", async () => {
  const c = await newConversation();
  await api(OWNER, "PUT", `/api/v1/conversations/${c.id}/agent`, { agent_id: agentNamed("Ava").id });
  const { page } = owner;
  await page.goto(`${BASE}/?view=ai_queue&q=${encodeURIComponent((await conv(c)).contact.email)}`);
  const row = page.locator(`.row[data-id="${c.id}"]`);
  await row.locator("button", { hasText: "Take over" }).click();
  await row.waitFor({ state: "detached", timeout: 3000 });
  const after = await conv(c);
  assert.equal(after.agent_session, null);
  assert.equal(after.assignee.name, "Olivia Owens");
  assert.ok(after.ai_handoff_at);
});

test("assign a team from the drawer", async () => {
  const c = await newConversation();
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.click("[data-slot=team] summary");
  await page.click('[data-slot=team] button[data-label^="billing"]');
  await page.locator("[data-slot=team] .holder", { hasText: "Billing" }).waitFor({ timeout: 3000 });
  assert.equal((await conv(c)).team.id, teamNamed("Billing").id);
});

test("unassigning an agent asks for confirmation first", async () => {
  const c = await newConversation();
  await api(OWNER, "PUT", `/api/v1/conversations/${c.id}/agent`, { agent_id: agentNamed("Ava").id });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(BASE + "/login");
  await page.fill("#email", OWNER); await page.fill("#password", "baton-demo");
  await Promise.all([page.waitForURL(BASE + "/"), page.click("button[type=submit]")]);
  await page.goto(`${BASE}/c/${c.id}`);
  // Declined first: nothing changes.
  page.once("dialog", (d) => d.dismiss());
  await page.click("[data-slot=agent] summary");
  await page.click("[data-slot=agent] button.unassign");
  await page.waitForTimeout(300);
  assert.ok((await conv(c)).agent_session, "declining keeps the session");
  // Accepted: the agent is removed.
  const seen = [];
  page.once("dialog", (d) => { seen.push(d.message()); d.accept(); });
  await page.click("[data-slot=agent] button.unassign");
  await page.locator("[data-slot=agent] .holder", { hasText: "None" }).waitFor({ timeout: 3000 });
  assert.match(seen[0], /session/);
  assert.equal((await conv(c)).agent, null);
  await context.close();
});

test("mark as unread from More", async () => {
  const c = await newConversation();
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  assert.equal((await conv(c)).unread, false, "opening reads it");
  await page.click("[data-menu=more] summary");
  await Promise.all([page.waitForURL(BASE + "/"), page.click("[data-action=unread]")]);
  assert.equal((await conv(c)).unread, true);
  await page.goto(`${BASE}/?view=all&q=${encodeURIComponent((await conv(c)).contact.email)}`);
  await page.locator(`.row.unread[data-id="${c.id}"]`).waitFor();
});

test("transfer channel from More", async () => {
  const c = await newConversation();
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.click("[data-menu=more] summary");
  await page.click('[data-transfer="support@demo.example"]');
  // The title, not the header: the More menu in the header names the channel too.
  await page.locator(".conv-header .title", { hasText: "support@demo.example" }).waitFor({ timeout: 3000 });
  assert.equal((await conv(c)).channel.name, "support@demo.example");
});

test("download an export", async () => {
  const c = await newConversation("Please export me");
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await page.click("[data-menu=more] summary");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-export=csv]")]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const text = readFileSync(await download.path(), "utf8");
  assert.match(text, /Please export me/);
});

test("a change in one browser appears in another within a second", async () => {
  const c = await newConversation();
  const other = await signIn(browser, "amir@demo.example");
  const { page } = owner;
  await page.goto(`${BASE}/c/${c.id}`);
  await other.page.goto(`${BASE}/?view=all`);
  await page.waitForFunction(() => document.body.dataset.live === "on");
  await other.page.waitForFunction(() => document.body.dataset.live === "on");
  // Amir writes a note in his browser; Olivia's page shows it without reload.
  await other.page.goto(`${BASE}/c/${c.id}`);
  await other.page.waitForFunction(() => document.body.dataset.live === "on");
  await other.page.fill("#composer-body", "Live note from Amir");
  const t0 = Date.now();
  await other.page.click("button[value=note]");
  await page.locator(".msg-note", { hasText: "Live note from Amir" }).waitFor({ timeout: 1000 });
  const dt = Date.now() - t0;
  assert.ok(dt < 1000, `took ${dt} ms`);
  // A new inbound conversation appears in another open inbox.
  await other.page.goto(`${BASE}/?view=all`);
  await other.page.waitForFunction(() => document.body.dataset.live === "on");
  const t1 = Date.now();
  const c2 = await newConversation("Brand new live message");
  await other.page.locator(`.row[data-id="${c2.id}"]`).waitFor({ timeout: 1000 });
  assert.ok(Date.now() - t1 < 1000);
  await other.context.close();
});

test("a viewer sees no control that changes anything, and forged requests are refused", async () => {
  const c = await newConversation();
  const viewer = await signIn(browser, "julia@demo.example");
  const { page } = viewer;
  await page.goto(`${BASE}/c/${c.id}`);
  for (const sel of ["[data-picker]", "[data-action=close]", "[data-action=unread]", "[data-transfer]", "button[value=outgoing]", "[data-action=take-over]"]) {
    assert.equal(await page.locator(sel).count(), 0, sel);
  }
  await page.goto(`${BASE}/?view=ai_queue`);
  assert.equal(await page.locator("button", { hasText: "Take over" }).count(), 0);
  assert.equal(await page.locator("a", { hasText: "Admin" }).count(), 0);
  const status = await page.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch(`/c/${id}/status`, { method: "POST", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }, body: "status=closed" });
    return r.status;
  }, c.id);
  assert.equal(status, 403);
  await viewer.context.close();
});

test("routing dry run explains who would get a conversation", async () => {
  const { page } = owner;
  await page.goto(`${BASE}/admin/routing`);
  // A rule first (made on the admin page), so the dry run has someone to pick.
  const rule = "Billing questions";
  if (await page.locator(`tr[data-rule="${rule}"]`).count() === 0) {
    await page.fill("input[name=name]", rule);
    await page.fill("textarea[name=conditions]", '[{"field": "message", "op": "contains", "value": "charged"}]');
    await page.fill("textarea[name=actions]", JSON.stringify([{ type: "balanced", team_id: teamNamed("Billing").id }]));
    await page.click("button:has-text('Add rule')");
    await page.locator(`tr[data-rule="${rule}"]`).waitFor({ timeout: 3000 });
  }
  await page.fill("input[name=body]", "I was charged twice");
  await page.click("button:has-text('Dry run')");
  const result = page.locator("[data-testid=dry-run-result]");
  await result.waitFor({ timeout: 3000 });
  assert.match(await result.innerText(), new RegExp(rule));
  assert.ok(await result.locator("tbody tr").count() >= 1, "candidates and their reasons are listed");
  assert.doesNotMatch(await result.innerText(), /no rule matched/);
  await page.screenshot({ path: `${SHOTS}/routing-dry-run.png`, fullPage: true });
});
