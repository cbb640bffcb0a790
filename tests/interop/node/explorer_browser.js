// Drives the API explorer page in headless Chromium (the distribution's,
// through playwright-core): find `subtract`, call it over HTTP and over
// WebSocket, send a bad input with validation off, run a subscription and
// stop it, and save a screenshot. Prints one `ok NAME` line per check.
// Usage: node explorer_browser.js PAGE_URL SCREENSHOT_PATH
const { chromium } = require('playwright-core');

const [, , url, screenshot] = process.argv;

async function check(name, body) {
  await body();
  console.log(`ok ${name}`);
}

async function resultIs(page, text) {
  await page.waitForFunction(
    (expected) => document.querySelector('#result')?.textContent.includes(expected),
    text,
    { timeout: 10000 },
  );
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Without the background-networking flags Chromium tries to reach
    // Google's hosts at every start, which a closed network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(url);

  await check('finds subtract', async () => {
    await page.fill('#search', 'subtract');
    await page.click('[data-method="subtract"]');
  });
  await check('http 19', async () => {
    await page.click('#transport-http');
    await page.fill('[data-param="minuend"]', '42');
    await page.fill('[data-param="subtrahend"]', '23');
    await page.click('#call');
    await resultIs(page, '19');
  });
  await check('websocket 19', async () => {
    await page.click('#transport-ws');
    await page.fill('[data-param="minuend"]', '61');
    await page.fill('[data-param="subtrahend"]', '42');
    await page.click('#call');
    await page.waitForFunction(
      () => document.querySelector('#request')?.textContent.includes('[61,42]')
        && document.querySelector('#result')?.textContent.includes('19'),
      null,
      { timeout: 10000 },
    );
  });
  await check('bad input with validation off is -32602', async () => {
    await page.click('#transport-http');
    await page.uncheck('#validate');
    await page.fill('[data-param="minuend"]', 'forty-two');
    await page.click('#call');
    await page.waitForFunction(
      () => document.querySelector('#response')?.textContent.includes('-32602'),
      null,
      { timeout: 10000 },
    );
    await page.check('#validate');
  });
  await check('subscription runs and stops', async () => {
    await page.fill('#search', 'subscribe_count');
    await page.click('[data-method="subscribe_count"]');
    await page.uncheck('#validate');
    await page.fill('[data-param="start"]', '1');
    await page.fill('[data-param="every_ms"]', '50');
    await page.click('#call');
    await page.waitForFunction(() => document.querySelectorAll('#items [data-item]').length >= 3, null, { timeout: 10000 });
    await page.click('#stop');
    await page.waitForSelector('#items [data-stopped]', { timeout: 10000 });
    const stopped = await page.locator('#items [data-item]').count();
    await page.waitForTimeout(400);
    const later = await page.locator('#items [data-item]').count();
    if (later !== stopped) throw new Error(`items kept coming after stop: ${stopped} then ${later}`);
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join(' | ')}`);
  console.log('all passed');
  await browser.close();
})().catch((error) => {
  console.error(`FAIL ${error.message}`);
  process.exit(1);
});
