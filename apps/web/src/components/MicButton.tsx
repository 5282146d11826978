import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../lib/api';
import { modelKindsQuery, transcribe } from '../lib/voice';
import { secondaryButtonClass } from './ui';

type State = 'idle' | 'starting' | 'recording' | 'transcribing';

const canRecord = () =>
  typeof navigator !== 'undefined' &&
  typeof navigator.mediaDevices?.getUserMedia === 'function' &&
  typeof MediaRecorder !== 'undefined';

/**
 * Records from the microphone (MediaRecorder), uploads the recording to the transcription API and
 * hands the text to `onTranscript` (the composer). Shown only when the browser can record and a
 * transcription model is configured.
 */
export function MicButton({ onTranscript, disabled }: { onTranscript: (text: string) => void; disabled?: boolean }) {
  const kinds = useQuery(modelKindsQuery);
  const [state, setState] = useState<State>('idle');
  const [error, setError] = useState<string | null>(null);
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

  async function start() {
    setError(null);
    setState('starting');
    try {
      stream.current = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      setState('idle');
      setError('Microphone access was refused');
      return;
    }
    const chunks: Blob[] = [];
    const started = new MediaRecorder(stream.current);
    started.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    started.addEventListener('stop', () => {
      const recording = new Blob(chunks, { type: started.mimeType || 'audio/webm' });
      release();
      if (recording.size === 0) {
        setState('idle');
        setError('Nothing was recorded');
        return;
      }
      setState('transcribing');
      transcribe(recording).then(
        (text) => {
          setState('idle');
          if (text.trim()) onTranscript(text.trim());
          else setError('No speech was recognised');
        },
        (failure: unknown) => {
          setState('idle');
          const described = describeError(failure);
          setError(`${described.title}: ${described.detail}`);
        },
      );
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
        aria-label={recording ? 'Stop recording' : 'Record voice'}
        aria-pressed={recording}
        disabled={disabled || state === 'starting' || state === 'transcribing'}
        onClick={() => (recording ? recorder.current?.stop() : void start())}
      >
        {recording ? '■ Stop' : state === 'transcribing' ? 'Transcribing…' : '🎤 Voice'}
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-600">
          {error}
        </span>
      )}
    </span>
  );
}
