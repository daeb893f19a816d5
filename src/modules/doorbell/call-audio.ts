/**
 * Talking to the visitor inside a SIP call: the talk module's paced G.711 frames go out as RTP
 * to the address the doorbell's offer named, from the port our answer named. The doorbell
 * expects our voice there, not over ISAPI, once it is in a SIP call with us.
 */
import type { DoorbellCallAudio } from '../../core/bus.ts';
import type { RemoteRtp, RtpAudioSender } from '../../protocols/sip/index.ts';

export class CallAudioLink implements DoorbellCallAudio {
  constructor(
    private readonly sender: RtpAudioSender,
    private readonly remote: RemoteRtp,
    readonly codec: 'mulaw' | 'alaw',
    /** True once the call has ended (the doorbell or someone hung up). */
    private readonly callEnded: () => boolean,
  ) {}

  async send(
    frames: AsyncIterable<Uint8Array>,
    options: { signal: AbortSignal; onSent: (bytes: number) => void },
  ): Promise<'source-ended' | 'device-ended' | 'aborted'> {
    if (this.sender.sending) throw new Error('someone is already talking in this call');
    const run = this.sender.start(this.remote, { codec: this.codec, signal: options.signal });
    try {
      for await (const frame of frames) {
        if (options.signal.aborted || this.callEnded() || !this.sender.sending) break;
        this.sender.push(frame);
        options.onSent(frame.length);
      }
    } finally {
      this.sender.end();
    }
    const end = await run;
    if (this.callEnded()) return 'device-ended';
    return end;
  }

  async close(): Promise<Error | undefined> {
    this.sender.stop();
    return undefined;
  }
}
