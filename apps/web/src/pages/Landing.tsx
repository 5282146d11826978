import { useQuery } from '@tanstack/react-query';
import { buttonClass, secondaryButtonClass } from '../components/ui';
import { navigate } from '../lib/router';

export function Landing({ signedIn }: { signedIn: boolean }) {
  const ready = useQuery({
    queryKey: ['ready'],
    queryFn: async () => (await fetch('/ready')).ok,
    refetchInterval: 30_000,
  });
  return (
    <main className="mx-auto max-w-3xl px-4 py-16">
      <h1 className="mb-4 text-4xl font-bold">Switchyard</h1>
      <p className="mb-6 text-lg text-slate-600 dark:text-slate-300">
        A self-hosted AI gateway and chat platform: one API in front of your model providers, with keys per environment,
        rate limits, quotas, jobs and image generation — and a chat app for your team.
      </p>
      <div className="mb-8 flex flex-wrap gap-3">
        <button type="button" className={buttonClass} onClick={() => navigate(signedIn ? '/chat' : '/signin')}>
          {signedIn ? 'Open the app' : 'Sign in'}
        </button>
        {!signedIn && (
          <button type="button" className={secondaryButtonClass} onClick={() => navigate('/signup')}>
            Create an account
          </button>
        )}
        <a className={secondaryButtonClass} href="/docs">
          API docs
        </a>
        <a className={secondaryButtonClass} href="/ready">
          Status:{' '}
          {ready.isLoading ? (
            'checking…'
          ) : ready.data ? (
            <span className="text-green-600">ready</span>
          ) : (
            <span className="text-red-600">not ready</span>
          )}
        </a>
      </div>
      <ul className="list-disc space-y-1 pl-6 text-slate-700 dark:text-slate-300">
        <li>Native and OpenAI-compatible chat APIs with streaming</li>
        <li>Prod and dev API keys, per-key rate limits, usage logs</li>
        <li>Image generation with daily quotas, background jobs with a dead-letter queue</li>
      </ul>
    </main>
  );
}
