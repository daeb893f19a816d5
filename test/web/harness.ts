/**
 * The web UI in a real browser: Debian's Chromium driven by playwright-core (fake camera and
 * microphone), against a real gateway. Every page collects console errors and warnings and
 * uncaught exceptions; `assertQuiet` fails the test when there were any. Screenshots go to
 * docs/screenshots/ (the README shows them).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ADMIN_PASSWORD } from '../gateway/harness.ts';
import { launchChromium } from '../support/browser.ts';

export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** A phone's width (the issue's 375 px) and a laptop's. */
export const PHONE = { width: 375, height: 740 };
export const LAPTOP = { width: 1280, height: 800 };

export interface UiPage {
  page: Page;
  context: BrowserContext;
  /** Console errors/warnings and page errors seen so far. */
  problems: string[];
  assertQuiet(): void;
  /** Runs axe-core (WCAG 2.1 A/AA rules) on the page as it is now; fails on any violation. */
  assertAccessible(): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

let browser: Browser | undefined;

export async function uiBrowser(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

export async function closeUiBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

/** A fresh browser context (own cookies) with a page on the gateway's UI. */
export async function openUi(
  gatewayUrl: string,
  options: { viewport?: { width: number; height: number }; ignore?: RegExp[] } = {},
): Promise<UiPage> {
  const context = await (await uiBrowser()).newContext({
    viewport: options.viewport ?? LAPTOP,
    baseURL: gatewayUrl,
    permissions: ['microphone', 'notifications'],
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const ignored = (text: string) => (options.ignore ?? []).some((pattern) => pattern.test(text));
  page.on('console', (message) => {
    const type = message.type();
    if ((type === 'error' || type === 'warning') && !ignored(message.text())) {
      const where = message.location().url;
      problems.push(
        `${type}: ${message.text()}${where ? ` (${where.replace(/token=[^&]+/, 'token=…')})` : ''}`,
      );
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  const suffix = options.viewport === PHONE ? '-phone' : '';
  return {
    page,
    context,
    problems,
    assertQuiet: () => expect(problems, 'console errors or warnings in the UI').toEqual([]),
    assertAccessible: () => assertAccessible(page),
    screenshot: async (name) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}${name}${suffix}.png` });
    },
    close: () => context.close(),
  };
}

/** Signs in through the form as the test admin and waits for the main navigation. */
export async function signIn(ui: UiPage, password = ADMIN_PASSWORD): Promise<void> {
  const { page } = ui;
  await page.goto('/');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Decoded video frames of the `<video>` in `selector` (0 when none yet). */
export async function decodedFrames(page: Page, selector: string): Promise<number> {
  // A string, not a function: the tests' TypeScript has no DOM types.
  return page.evaluate<number>(
    `(() => { const v = document.querySelector(${JSON.stringify(selector)}); return v ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()`,
  );
}

/** Waits until the video in `selector` has decoded more than `frames` frames. */
export async function waitForFrames(
  page: Page,
  selector: string,
  frames = 10,
  timeoutMs = 30_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const decoded = await decodedFrames(page, selector);
    if (decoded > frames) return decoded;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`the video in ${selector} decoded only ${decoded} frames in ${timeoutMs} ms`);
    }
    await page.waitForTimeout(100);
  }
}

let axeSource: string | undefined;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core, evaluated through the DevTools protocol (a script tag would be refused by the page's
 * CSP, rightly), checks the page against the WCAG 2.1 A and AA rules.
 */
async function assertAccessible(page: Page): Promise<void> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  );
  const described = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(described.join('\n'), 'accessibility violations').toBe('');
}
