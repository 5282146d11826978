import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { modelKindsQuery, transcribe, transcribeIntoChat, waitForTranscriptionJob } from '../lib/voice';
import { secondaryButtonClass } from './ui';

type State = 'idle' | 'starting' | 'recording' | 'transcribing';

const canRecord = () =>
  typeof navigator !== 'undefined' &&
  typeof navigator.mediaDevices?.getUserMedia === 'function' &&
  typeof MediaRecorder !== 'undefined';

export interface MicButtonProps {
  /** A short recording's text, for the composer. */
  onTranscript: (text: string) => void;
  disabled?: boolean;
  /**
   * With these, a long recording is transcribed in a job whose transcript is posted to the open chat
   * (made with `ensureChat` when none is open) as the user's message; `onPosted` then refreshes it.
   */
  ensureChat?: () => Promise<string>;
  onPosted?: (chatId: string) => void;
  /** From this length (or `longRecordingBytes`) a recording counts as long. */
  longRecordingMs?: number;
  longRecordingBytes?: number;
}

/**
 * Records from the microphone (MediaRecorder) and uploads the recording to the transcription API:
 * a short one's text goes to `onTranscript` (the composer), a long one is transcribed in the
 * background and posted to the chat. Shown only when the browser can record and a transcription
 * model is configured.
 */
export function MicButton({
  onTranscript,
  disabled,
  ensureChat,
  onPosted,
  longRecordingMs = 120_000,
  longRecordingBytes = 8 * 1024 * 1024,
}: MicButtonProps) {
  const { t } = useTranslation();
  const kinds = useQuery(modelKindsQuery);
  const [state, setState] = useState<State>('idle');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const recorder = useRef<MediaRecorder | null>(null);
  const stream = useRef<MediaStream | null>(null);

  const release = () => {
    for (const track of stream.current?.getTracks() ?? []) track.stop();
    stream.current = null;
    recorder.current = null;
  };
  // Leaving the page mid-recording lets go of the microphone.
  useEffect(
    () => () => {
      for (const track of stream.current?.getTracks() ?? []) track.stop();
    },
    [],
  );

  if (!canRecord() || !kinds.data?.includes('transcription')) return null;

  const fail = (failure: unknown) => {
    setState('idle');
    setNotice(null);
    const described = describeError(failure);
    setError(`${described.title}: ${described.detail}`);
  };

  /** A long recording: a job transcribes it and posts the transcript to the chat. */
  async function postToChat(recording: Blob, post: () => Promise<string>) {
    const chatId = await post();
    const job = await transcribeIntoChat(recording, chatId);
    setNotice(t('mic.transcribingLong'));
    const done = await waitForTranscriptionJob(job);
    setState('idle');
    setNotice(null);
    if (done.status !== 'completed') {
      setError(
        done.error ? t('mic.transcriptionFailedWith', { message: done.error.message }) : t('mic.transcriptionFailed'),
      );
      return;
    }
    onPosted?.(chatId);
  }

  async function start() {
    setError(null);
    setState('starting');
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      setState('idle');
      setError(t('mic.refused'));
      return;
    }
    const chunks: Blob[] = [];
    const started = new MediaRecorder(stream.current);
    const startedAt = Date.now();
    started.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    started.addEventListener('stop', () => {
      const recording = new Blob(chunks, { type: started.mimeType || 'audio/webm' });
      release();
      if (recording.size === 0) {
        setState('idle');
        setError(t('mic.nothingRecorded'));
        return;
      }
      setState('transcribing');
      const long = Date.now() - startedAt >= longRecordingMs || recording.size >= longRecordingBytes;
      if (long && ensureChat) {
        postToChat(recording, ensureChat).catch(fail);
        return;
      }
      transcribe(recording).then((text) => {
        setState('idle');
        if (text.trim()) onTranscript(text.trim());
        else setError(t('mic.noSpeech'));
      }, fail);
    });
    recorder.current = started;
    started.start();
    setState('recording');
  }

  const recording = state === 'recording';
  return (
    <span className="flex items-center gap-2">
      <button
        type="button"
        className={secondaryButtonClass}
        aria-label={recording ? t('mic.stopRecording') : t('mic.record')}
        aria-pressed={recording}
        disabled={disabled || state === 'starting' || state === 'transcribing'}
        onClick={() => (recording ? recorder.current?.stop() : void start())}
      >
        {recording ? `■ ${t('mic.stop')}` : state === 'transcribing' ? t('mic.transcribing') : `🎤 ${t('mic.voice')}`}
      </button>
      {notice && (
        <span role="status" className="text-xs text-slate-500">
          {notice}
        </span>
      )}
      {error && (
        <span role="alert" className="text-xs text-red-600">
          {error}
        </span>
      )}
    </span>
  );
}
