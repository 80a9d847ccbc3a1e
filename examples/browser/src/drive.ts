// Driving the served page in headless Chromium (playwright-core, the system
// browser: no browser download). Used by `npm run browser -- measure` and by
// the tests, so both press the same buttons.
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TabTraining } from './page/train';
import type { PageState } from './page/main';

export const CHROMIUM = process.env.AIRBENCH_CHROMIUM ?? '/usr/bin/chromium';

/** Opens `url` and waits until the page has picked a backend, loaded its data and looked for a model. */
export async function openPage(url: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM }).catch((cause: unknown) => {
    throw new Error(`cannot start Chromium at ${CHROMIUM} (${String(cause)}); run scripts/setup-chromium.sh or set AIRBENCH_CHROMIUM.`, { cause });
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(() => window.airbenchPage?.node !== undefined || window.airbenchPage?.error !== undefined, null, { timeout: 120_000 });
  return { browser, page };
}

/** The page's state (`window.airbenchPage`) as plain JSON. */
export function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.airbenchPage)) as PageState);
}

/** Fills the training form, presses Train and waits for the run to end. */
export async function trainInPage(page: Page, settings: Omit<TabTraining, 'seed'>, timeoutMs = 600_000): Promise<PageState['training']> {
  await page.fill('#train-widths', settings.widths.join(','));
  await page.fill('#train-images', String(settings.images));
  await page.fill('#train-epochs', String(settings.epochs));
  await page.fill('#train-batch', String(settings.batchSize));
  // noWaitAfter: the run holds the page's main thread between its yields.
  await page.click('#train-start', { noWaitAfter: true });
  await page.waitForFunction(() => window.airbenchPage.training?.status !== 'running', null, { timeout: timeoutMs, polling: 1000 });
  return (await pageState(page)).training;
}

/** Presses "Classify" and waits for the accuracy (or the failure message). */
export async function classifyInPage(page: Page, timeoutMs = 600_000): Promise<PageState['classification']> {
  await page.click('#classify-start');
  await page.waitForFunction(() => window.airbenchPage.classification !== undefined || /failed/.test(document.getElementById('classify-result')!.textContent!), null, { timeout: timeoutMs, polling: 500 });
  const { classification } = await pageState(page);
  if (!classification) throw new Error(`the page could not classify: ${await page.textContent('#classify-result')}`);
  return classification;
}
