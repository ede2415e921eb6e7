// Shared set-up of the browser tests: Debian's Chromium through playwright-core,
// and the JSON API (with the demo users' tokens) to arrange data.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

export const BASE = process.env.BATON_BASE || "http://127.0.0.1:8080";
export const SHOTS = process.env.BATON_SCREENSHOTS || "../docs/screenshots";
export const PASSWORD = "baton-demo";

const tokens = Object.fromEntries(
  readFileSync(process.env.BATON_TOKENS, "utf8").trim().split("\n").map((l) => l.split("\t")).map(([e, , t]) => [e, t]));

export function token(email) { return tokens[email]; }

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function api(email, method, path, body) {
  const res = await fetch(BASE + path, {
    method, headers: { Authorization: "Bearer " + token(email), "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const OWNER = "olivia@demo.example";
let counter = 0;

/** A fresh conversation from a new contact on the API channel. */
export async function newConversation(body) {
  const channels = (await api(OWNER, "GET", "/api/v1/channels")).items;
  const ch = channels.find((c) => c.kind === "api");
  const n = `${Date.now()}-${++counter}`;
  const out = await api(OWNER, "POST", `/api/v1/channels/${ch.id}/inbound`,
    { contact: { email: `e2e-${n}@example.com`, name: `E2E Contact ${n}` }, body: body || `Hello from test ${n}` });
  return out.id ? out : out.conversation;
}

export async function ids() {
  const users = (await api(OWNER, "GET", "/api/v1/users?limit=200")).items;
  const agents = (await api(OWNER, "GET", "/api/v1/agents")).items;
  const teams = (await api(OWNER, "GET", "/api/v1/teams")).items;
  const channels = (await api(OWNER, "GET", "/api/v1/channels")).items;
  return { users, agents, teams, channels };
}

/** A signed-in page for `email`, in its own browser context. */
export async function signIn(browser, email) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("dialog", (d) => d.accept());
  await page.goto(BASE + "/login");
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(BASE + "/"), page.click("button[type=submit]")]);
  return { context, page };
}
