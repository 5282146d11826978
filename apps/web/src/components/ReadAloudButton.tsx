import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { describeError } from '../lib/api';
import { t } from '../lib/i18n';
import { modelKindsQuery, speak } from '../lib/voice';

/** Reads an answer aloud with the default speech model; shown only when one is configured. */
export function ReadAloudButton({ text }: { text: string }) {
  const kinds = useQuery(modelKindsQuery);
  const [state, setState] = useState<'idle' | 'loading' | 'playing'>('idle');
  const [error, setError] = useState<string | null>(null);
  const player = useRef<{ audio: HTMLAudioElement; url: string } | null>(null);

  const stop = () => {
    if (!player.current) return;
    player.current.audio.pause();
    URL.revokeObjectURL(player.current.url);
    player.current = null;
    setState('idle');
  };
  useEffect(
    () => () => {
      player.current?.audio.pause();
      if (player.current) URL.revokeObjectURL(player.current.url);
    },
    [],
  );

  if (!kinds.data?.includes('speech')) return null;

  async function play() {
    setError(null);
    setState('loading');
    try {
      const url = URL.createObjectURL(await speak(text));
      const audio = new Audio(url);
      player.current = { audio, url };
      audio.addEventListener('ended', stop);
      await audio.play();
      setState('playing');
    } catch (failure) {
      stop();
      setState('idle');
      const described = describeError(failure);
      setError(`${described.title}: ${described.detail}`);
    }
  }

  return (
    <>
      <button
        type="button"
        className="underline"
        disabled={state === 'loading'}
        onClick={() => (state === 'playing' ? stop() : void play())}
      >
        {state === 'playing'
          ? t('tools.stopReading')
          : state === 'loading'
            ? t('tools.preparing')
            : t('tools.readAloud')}
      </button>
      {error && (
        <span role="alert" className="text-red-600">
          {error}
        </span>
      )}
    </>
  );
}
