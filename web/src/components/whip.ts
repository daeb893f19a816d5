/**
 * The browser's microphone published over WHIP (WebRTC-HTTP ingestion): the talk API hands out
 * a WHIP URL on MediaMTX, and the gateway reads the audio from there and speaks through the
 * doorbell. Errors are thrown in the user's words.
 */

const WHIP_TIMEOUT_MS = 10_000;
const ICE_GATHER_MAX_MS = 2000;

export interface MicrophonePublisher {
  /**
   * Stops the microphone and closes the connection. The WHIP session itself ends with the talk
   * session, whose end closes its MediaMTX path: a WHIP DELETE racing that would earn a 404.
   */
  close(): void;
}

/** Asks for the microphone (the browser may ask its user) and publishes it to `whipUrl`. */
export async function publishMicrophone(whipUrl: string): Promise<MicrophonePublisher> {
  const microphone = await openMicrophone();
  const pc = new RTCPeerConnection();
  const close = () => {
    for (const track of microphone.getTracks()) track.stop();
    pc.close();
  };
  try {
    for (const track of microphone.getAudioTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const response = await fetch(whipUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription?.sdp ?? '',
      signal: AbortSignal.timeout(WHIP_TIMEOUT_MS),
    });
    if (response.status !== 201) {
      throw new Error(`The media server refused the microphone (answer ${response.status}).`);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    return { close };
  } catch (error) {
    close();
    if ((error as Error).name === 'TimeoutError') throw new Error('The media server did not answer in time.');
    throw error;
  }
}

async function openMicrophone(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This browser cannot use a microphone here (it needs HTTPS or localhost).');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: false,
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new Error('The browser did not allow the microphone; allow it in the address bar to talk.');
    }
    if (name === 'NotFoundError') throw new Error('No microphone was found.');
    if (name === 'NotReadableError') throw new Error('The microphone is in use by another program.');
    throw new Error(`The microphone could not be opened (${(error as Error).message}).`);
  }
}

/** Waits until the offer holds its ICE candidates (host candidates: milliseconds; capped). */
function iceGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = window.setTimeout(done, ICE_GATHER_MAX_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
