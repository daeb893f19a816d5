/** Error answers the HTTP layer itself produces: always `{"error":{code,message}}`, never an echo of the input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

describe('HTTP layer errors', () => {
  it('an over-long path parameter is a 414 in the usual error shape, without the parameter', async () => {
    const long = `dev${'x'.repeat(5000)}`;
    const answer = await gw.api('GET', `/api/v1/devices/${long}`);
    expect(answer.status).toBe(414);
    expect(answer.json).toEqual({ error: { code: 'uri_too_long', message: expect.any(String) } });
    expect(answer.text).not.toContain('xxxxxxxxxx');
  });

  it('a __proto__ or constructor key in a body is named as such, and nothing changes', async () => {
    const before = (await gw.api('GET', '/api/v1/tokens')).json.length;
    for (const raw of [
      '{"__proto__":{"admin":true},"name":"x"}',
      '{"name":"x","constructor":{"prototype":{}}}',
    ]) {
      const answer = await gw.api('POST', '/api/v1/tokens', { raw });
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_input');
      expect(answer.json.error.message).toMatch(/key "(__proto__|constructor)" is not allowed/);
      expect(answer.json.error.message).not.toMatch(/not valid JSON/);
    }
    expect((await gw.api('GET', '/api/v1/tokens')).json.length).toBe(before);
  });

  it('body that is not JSON at all still says so', async () => {
    const answer = await gw.api('POST', '/api/v1/tokens', { raw: '{"name":' });
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/not valid JSON/);
  });

  it('unknown routes and methods answer in the error shape', async () => {
    const answer = await gw.api('GET', '/api/v1/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe('not_found');
  });
});
