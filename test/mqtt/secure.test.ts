/**
 * Brokers that check who connects: one that requires a user name and password, one that speaks
 * TLS only (with a certificate from a CA made for the test) and requires a password too. The
 * gateway connects with the right settings; with a wrong password or an unknown CA it says so in
 * its log and in `/health`, and never connects; no password shows in the log, the API or MQTT.
 *
 * Each test starts its own gateway on its own base topic, so none depends on another.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { type Mosquitto, startMosquitto } from '../support/mosquitto.ts';
import { type BrokerAccess, Recorder } from './helpers.ts';

const USER = 'hikbridge-gw';
const PASSWORD = 'Broker-Pass#4u7';
const WRONG_PASSWORD = 'Not-The-Pass#9z';

let passwordBroker: Mosquitto;
let tlsBroker: Mosquitto;
let tlsAccess: BrokerAccess;
let topicCounter = 0;

beforeAll(async () => {
  [passwordBroker, tlsBroker] = await Promise.all([
    startMosquitto({ users: { [USER]: PASSWORD } }),
    startMosquitto({ users: { [USER]: PASSWORD }, tls: true }),
  ]);
  tlsAccess = { url: tlsBroker.url, username: USER, password: PASSWORD, ca: readFileSync(tlsBroker.caFile!) };
});

afterAll(async () => {
  await passwordBroker?.stop();
  await tlsBroker?.stop();
});

/**
 * A gateway publishing under a base topic of its own, watched by a recorder that logs in
 * rightly; everything it publishes is added to the secret scan run when it stops.
 */
async function gatewayOn(broker: BrokerAccess, mqtt: Record<string, unknown>) {
  const baseTopic = `secure${++topicCounter}`;
  const recorder = await Recorder.start(broker, `${baseTopic}/#`);
  const gw = await startTestGateway({ overrides: { mqtt: { ...mqtt, baseTopic } } });
  gw.scan.addSecret(PASSWORD, USER);
  gw.scan.addSecret(WRONG_PASSWORD, USER);
  gw.scan.addSource('MQTT payloads', () =>
    recorder.messages.map((message) => `${message.topic} ${message.payload.toString('latin1')}`).join('\n'),
  );
  const stop = async () => {
    // The scan runs in gw.stop(), while the recorder still holds what was published.
    await gw.stop();
    await recorder.stop();
  };
  return { gw, recorder, bridge: `${baseTopic}/bridge/state`, stop };
}

async function mqttHealth(gw: TestGateway): Promise<{ broker: string; problem?: string }> {
  return (await gw.api('GET', '/health')).json.mqtt;
}

/** Log records (JSON lines) whose message contains `text`. */
function logRecords(gw: TestGateway, text: string): Array<Record<string, unknown>> {
  return gw
    .logs()
    .split('\n')
    .filter((line) => line.includes(text))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('a broker that requires a password', () => {
  it('the gateway connects with the right one', async () => {
    const { gw, recorder, bridge, stop } = await gatewayOn(
      { url: passwordBroker.url, username: USER, password: PASSWORD },
      { url: passwordBroker.url, username: USER, password: PASSWORD },
    );
    try {
      await recorder.waitForPayload(bridge, 'online');
      expect(await mqttHealth(gw)).toEqual({ broker: 'connected' });
    } finally {
      await stop();
    }
  });

  it('a wrong password is named in the log and in /health, and never connects', async () => {
    const brokerLog = passwordBroker.log().length;
    const { gw, recorder, bridge, stop } = await gatewayOn(
      { url: passwordBroker.url, username: USER, password: PASSWORD },
      { url: passwordBroker.url, username: USER, password: WRONG_PASSWORD },
    );
    try {
      const health = await eventually(async () => {
        const report = await mqttHealth(gw);
        return report.broker === 'refused' && report;
      });
      expect(health.problem).toMatch(/user name or password|not authorised/);
      expect(health.problem).toContain('mqtt.password');
      const [refusal] = logRecords(gw, 'MQTT broker refused the connection');
      expect(refusal).toMatchObject({ level: 'warn', code: expect.any(Number) });
      expect(recorder.on(bridge)).toEqual([]);
      expect(passwordBroker.log().slice(brokerLog)).toMatch(/not authori[sz]ed/i);
    } finally {
      await stop();
    }
  });

  it('no login at all is refused the same way', async () => {
    const { gw, stop } = await gatewayOn(
      { url: passwordBroker.url, username: USER, password: PASSWORD },
      { url: passwordBroker.url },
    );
    try {
      await eventually(async () => (await mqttHealth(gw)).broker === 'refused');
    } finally {
      await stop();
    }
  });
});

describe('a broker behind TLS (mqtts://)', () => {
  it('the gateway verifies the certificate against mqtt.caFile and connects', async () => {
    const { gw, recorder, bridge, stop } = await gatewayOn(tlsAccess, {
      url: tlsBroker.url,
      username: USER,
      password: PASSWORD,
      caFile: tlsBroker.caFile,
    });
    try {
      await recorder.waitForPayload(bridge, 'online');
      expect(await mqttHealth(gw)).toEqual({ broker: 'connected' });
      expect(gw.logs()).toContain(`"broker":"${tlsBroker.url}"`);
    } finally {
      await stop();
    }
  });

  it('without the CA the certificate is not trusted: said once in the log and in /health', async () => {
    const brokerLog = tlsBroker.log().length;
    const { gw, recorder, bridge, stop } = await gatewayOn(tlsAccess, {
      url: tlsBroker.url,
      username: USER,
      password: PASSWORD,
    });
    try {
      const health = await eventually(async () => {
        const report = await mqttHealth(gw);
        return report.broker === 'untrusted' && report;
      });
      expect(health.problem).toContain('mqtt.caFile');
      // Said once per outage, not at every retry: wait for the broker to see a second attempt.
      await eventually(
        async () =>
          (
            tlsBroker
              .log()
              .slice(brokerLog)
              .match(/OpenSSL Error/g) ?? []
          ).length >= 2,
      );
      expect(logRecords(gw, 'TLS certificate is not trusted')).toHaveLength(1);
      expect(recorder.on(bridge)).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('a CA file that cannot be read stops the start with the key named', async () => {
    await expect(
      startTestGateway({ overrides: { mqtt: { url: tlsBroker.url, caFile: '/nonexistent/ca.pem' } } }),
    ).rejects.toThrow(/mqtt\.caFile: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/);
  });

  it('a CA file with a plain mqtt:// URL is a configuration problem', async () => {
    await expect(
      startTestGateway({ overrides: { mqtt: { url: passwordBroker.url, caFile: tlsBroker.caFile } } }),
    ).rejects.toThrow(/mqtt\.caFile: is only used with an mqtts:\/\/ URL/);
  });
});
