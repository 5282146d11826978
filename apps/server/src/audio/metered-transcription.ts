import type { Transcript } from '@switchyard/providers';
import { audioSecondsOf } from './audio-formats';
import type { AudioQuota, AudioReservation } from './audio-quota';

/** Runs `work`; when it fails, the reserved seconds go back to the caller before the error surfaces. */
export async function givingBackOnFailure<Result>(
  quota: Pick<AudioQuota, 'release'>,
  reservation: AudioReservation,
  work: () => Promise<Result>,
): Promise<Result> {
  try {
    return await work();
  } catch (error) {
    await quota.release(reservation).catch(() => {});
    throw error;
  }
}

/**
 * A transcription (or translation) of `bytes` within the seconds reserved for it: a failure gives them
 * back, a success settles them to the length the upstream reported (or the file's own). Every caller
 * that transcribes while it waits — `/v1/audio/transcriptions` and WhatsApp voice notes — counts minutes
 * this way; the returned seconds are what its usage row carries.
 */
export async function transcribeReserved(
  quota: Pick<AudioQuota, 'settle' | 'release'>,
  reservation: AudioReservation,
  bytes: Buffer,
  transcribe: () => Promise<Transcript>,
): Promise<{ transcript: Transcript; seconds: number }> {
  const transcript = await givingBackOnFailure(quota, reservation, transcribe);
  const seconds = audioSecondsOf(bytes, transcript.durationSeconds);
  await quota.settle(reservation, seconds);
  return { transcript, seconds };
}
