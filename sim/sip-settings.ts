/**
 * A simulated doorbell's SIP configuration, as its ISAPI endpoints show and change it
 * (`System/Network/SIP/1`, `VideoIntercom/PhoneNumberRecords`, `VideoIntercom/keyCfg/{button}`,
 * `VideoIntercom/operationTime`; shapes in ../shared/notes/isapi.md). The routes write it, the
 * simulated SIP user agent (sip-agent.ts) reads it and follows every change.
 */

export interface SimSipServer {
  enabled: boolean;
  /** The SIP proxy/registrar the doorbell registers to ('' = none). */
  proxy: string;
  proxyPort: number;
  /** The doorbell's own SIP port. */
  localPort: number;
  displayName: string;
  /** The doorbell's phone number (the user part of its From and Contact). */
  userName: string;
  authId: string;
  /** Write-only over ISAPI: never shown by GET. */
  password: string;
  /** REGISTER Expires in seconds. */
  expires: number;
}

export type SimRegisterStatus = 'registered' | 'unregistered' | 'registering' | 'failed';

export type SipSettingsListener = () => void;

export class SimSipSettings {
  server: SimSipServer = {
    enabled: false,
    proxy: '',
    proxyPort: 5060,
    localPort: 5060,
    displayName: '',
    userName: '10101',
    authId: '10101',
    password: '',
    expires: 60,
  };
  /** What `Standard/registerStatus` reports; set by the agent. */
  registerStatus: SimRegisterStatus = 'unregistered';
  /** Room number -> phone numbers to call (PhoneNumberRecords). */
  readonly phoneNumberRecords = new Map<string, string[]>();
  /** Button number -> room number it calls (keyCfg callNumber). */
  readonly keys = new Map<number, string>();
  /** Seconds a call rings before the doorbell gives up (CANCEL), and the longest talk. */
  operationTime = { maxRingTime: 30, talkTime: 120 };
  private readonly listeners = new Set<SipSettingsListener>();

  /** Called after every change a route made (the agent re-registers when the server changed). */
  onChange(listener: SipSettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** The phone number a press of `button` calls, or undefined when the button or room is not set up. */
  numberForButton(button: number): string | undefined {
    const room = this.keys.get(button);
    if (room === undefined) return undefined;
    return this.phoneNumberRecords.get(room)?.[0];
  }
}
