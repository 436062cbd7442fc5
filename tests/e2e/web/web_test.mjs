// The web view in a real browser (Debian's chromium, driven by playwright-core), for
// tests/e2e/observability_test. Run inside the lab's fabric network namespace:
//
//   node web_test.mjs URL TOKEN_FILE SCREENSHOT MOVE_COMMAND ANCHOR FROM TO
//
// Checks, printing one "ok: ..." or "FAIL: ..." line each, exit 1 on any failure:
// 1. without the credential (none, a wrong token) the page and /api answer 401 and show no data;
// 2. with the token (the browser's login prompt: any user, the token as password) the page loads
//    with no console error, shows the lab's 5 nodes and ANCHOR with its dependents on FROM;
// 3. after MOVE_COMMAND (run here) moves ANCHOR, the page shows it and its dependents on TO
//    without a reload (it polls /api), within 120 s; still no console error.
// Every wait is bounded.
import {chromium} from "playwright-core";
import {execSync} from "node:child_process";
import {readFileSync} from "node:fs";

const [url, tokenFile, screenshot, moveCommand, anchor, from, to] = process.argv.slice(2);
const token = readFileSync(tokenFile, "utf8").trim();
let failed = false;
const ok = (what) => console.log("ok: " + what);
const fail = (what) => { console.log("FAIL: " + what); failed = true; };
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
try {
  // 1. Refused without the credential.
  for (const [what, credentials] of [["no credential", undefined],
                                     ["a wrong token", {username: "x", password: token + "x"}]]) {
    const context = await browser.newContext({httpCredentials: credentials});
    const page = await context.newPage();
    // The status as any client gets it; the browser either shows the 401 page or (as Chromium
    // does when the login prompt is refused) fails the navigation: both show no data.
    const status = (await context.request.get(url)).status();
    const api = await context.request.get(new URL("/api/nodes", url).href);
    let text = "";
    let shown = 0;
    try {
      await page.goto(url, {timeout: 30000});
      text = await page.textContent("body").catch(() => "");
      shown = await page.locator("[data-node]").count();
    } catch (error) {
      if (!String(error).includes("ERR_INVALID_AUTH_CREDENTIALS")) throw error;
    }
    if (status === 401 && api.status() === 401 && !text.includes(token) && shown === 0) {
      ok(`with ${what} the page and /api/nodes answer 401 and show no node`);
    } else {
      fail(`with ${what}: page ${status}, /api/nodes ${api.status()}, ${shown} node(s) shown`);
    }
    await context.close();
  }

  // 2. With the token.
  const context = await browser.newContext({
    httpCredentials: {username: "operator", password: token},
    viewport: {width: 1440, height: 1000},
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push("page error: " + error.message));
  page.on("requestfailed", (request) => consoleErrors.push("request failed: " + request.url()));
  const response = await page.goto(url, {timeout: 30000});
  if (response.status() !== 200) fail(`the page answered ${response.status()} with the token`);
  await page.waitForSelector("body[data-loaded=true]", {timeout: 30000});
  const nodes = await page.locator("[data-node]").evaluateAll(
      (els) => els.map((e) => e.getAttribute("data-node")));
  if (JSON.stringify(nodes.sort()) === JSON.stringify(["m1", "m2", "m3", "w1", "w2"])) {
    ok(`the page shows the 5 lab nodes (${nodes.join(" ")}) ${seconds()} s after launch`);
  } else {
    fail(`the page shows nodes ${JSON.stringify(nodes)}`);
  }
  // Memory bars with figures on every node.
  const bars = await page.locator("[data-node] .metric .mval").allTextContents();
  if (bars.filter((t) => t.includes("MiB") || t.includes("GiB")).length >= 5) {
    ok("every node card shows its memory figures");
  } else {
    fail("memory figures missing: " + JSON.stringify(bars));
  }
  const placed = async (node) => page.evaluate(([a, n]) => {
    const card = document.querySelector(`[data-anchor="${a}"]`);
    if (!card) return {ok: false, why: "no card for the anchor"};
    const where = card.querySelector("[data-anchor-nodes]").getAttribute("data-anchor-nodes");
    const deps = [...card.querySelectorAll("[data-dependent]")].map(
        (d) => [d.getAttribute("data-dependent"), d.getAttribute("data-state"),
                d.getAttribute("data-nodes")]);
    const fine = where === n && deps.length > 0 &&
                 deps.every(([, state, nodes]) => state === "colocated" && nodes === n) &&
                 card.getAttribute("data-violated") === "false";
    return {ok: fine, why: JSON.stringify({where, deps})};
  }, [anchor, node]);
  const waitPlaced = async (node, limitMs) => {
    const deadline = Date.now() + limitMs;
    let last;
    while (Date.now() < deadline) {
      last = await placed(node);
      if (last.ok) return last;
      await page.waitForTimeout(500);
    }
    return last;
  };
  let state = await waitPlaced(from, 60000);
  if (state.ok) {
    ok(`the page shows anchor ${anchor} on ${from} with its dependents colocated: ${state.why}`);
  } else {
    fail(`anchor ${anchor} not shown on ${from}: ${state.why}`);
  }
  const chips = await page.locator(`[data-node="${from}"] .here .chip`).allTextContents();
  if (chips.some((c) => c.includes(anchor))) {
    ok(`the ${from} card lists what runs there: ${chips.join(", ")}`);
  } else {
    fail(`the ${from} card does not list ${anchor}: ${JSON.stringify(chips)}`);
  }
  await page.screenshot({path: screenshot, fullPage: true});
  ok("screenshot " + screenshot);

  // 3. The anchor moves; the page follows without a reload.
  const moveStarted = Date.now();
  execSync(moveCommand, {stdio: "ignore", timeout: 60000});
  state = await waitPlaced(to, 120000);
  if (state.ok) {
    ok(`after the move the page shows ${anchor} and its dependents on ${to} ` +
       `${((Date.now() - moveStarted) / 1000).toFixed(1)} s later, without a reload`);
  } else {
    fail(`the page did not show ${anchor} on ${to} within 120 s: ${state.why}`);
  }
  if (consoleErrors.length === 0) {
    ok("no console error while loading and refreshing");
  } else {
    fail("console errors: " + JSON.stringify(consoleErrors.slice(0, 5)));
  }
  await context.close();
} catch (error) {
  fail("the browser test threw: " + (error && error.stack ? error.stack : error));
} finally {
  await browser.close();  // playwright removes the profile it made
}
process.exit(failed ? 1 : 0);
