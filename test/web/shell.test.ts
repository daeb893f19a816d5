/**
 * The web UI's shell against a real gateway: how the page is served (CSP, gzip, cache, no path
 * tricks), signing in and out through the form, the first-run empty state, at laptop and phone
 * widths, with no console errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { closeUiBrowser, LAPTOP, openUi, PHONE, signIn, uiBrowser } from './harness.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
  // Launched here: on a fresh machine this installs Chromium from Debian first (minutes).
  await uiBrowser();
}, 300_000);

afterAll(async () => {
  await closeUiBrowser();
  await gw?.stop();
});

describe('serving the UI', () => {
  it('serves the page without a session, with a strict Content-Security-Policy', async () => {
    const page = await fetch(`${gw.url}/`, { signal: AbortSignal.timeout(60_000) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:*");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    // No inline script: everything the page runs comes from /assets/.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
  });

  it('serves assets gzipped and cached for good, and nothing outside the build', async () => {
    const html = await (await fetch(`${gw.url}/`)).text();
    const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${gw.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    for (const path of ['/assets/..%2Fpackage.json', '/assets/missing-0000.js', '/assets/index.html']) {
      expect((await fetch(`${gw.url}${path}`)).status, path).toBe(404);
    }
  });

  it('keeps the API closed: the page is public, the data is not', async () => {
    expect((await fetch(`${gw.url}/api/v1/devices`)).status).toBe(401);
  });
});

describe.each([
  ['laptop', LAPTOP],
  ['phone', PHONE],
])('signing in at %s width', (_name, viewport) => {
  it('refuses a wrong password in words, then signs in to the first-run screen and out again', async () => {
    const ui = await openUi(gw.url, { viewport, ignore: [/401 \(Unauthorized\)/] });
    const { page } = ui;
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await ui.assertAccessible();
    await ui.screenshot('login');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong username or password');

    await signIn(ui);
    await page.getByRole('heading', { name: 'No cameras yet' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add a device' }).getAttribute('href')).toBe('#/devices/add');
    expect(await page.getByRole('link', { name: /HikCentral Connect/ }).getAttribute('href')).toBe('#/cloud');
    await ui.assertAccessible();
    await ui.screenshot('first-run');
    // The accessibility check can fail: a picture without a text alternative is caught.
    await page.evaluate(
      "document.querySelector('main').append(Object.assign(document.createElement('img'), { src: '/assets/icon.svg' }))",
    );
    await expect(ui.assertAccessible()).rejects.toThrow(/image-alt/);

    // A reload keeps the session (the cookie), and the anti-CSRF token comes back with it.
    await page.reload();
    await page.getByRole('heading', { name: 'No cameras yet' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    ui.assertQuiet();
    await ui.close();
  }, 60_000);
});
