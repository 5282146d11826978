import { ErrorBox } from '../../components/ui';
import { ApiError } from '../../lib/api';

/** The gift finder's own refusals, said in its words; anything else as every page says it. */
const messages: Record<string, { title: string; detail: string }> = {
  SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED: {
    title: 'Consent needed',
    detail: 'Profile links or pasted text are only read with your consent: tick the box or remove them.',
  },
  SY_ERR_GIFT_SESSION_STATE: {
    title: 'Not waiting for an answer',
    detail: 'The interview has moved on; the page shows where it is now.',
  },
  SY_ERR_GIFT_SESSION_NOT_FOUND: {
    title: 'Gift search not found',
    detail: 'It does not exist or belongs to another account.',
  },
};

export function GiftErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const own = error instanceof ApiError ? messages[error.code] : undefined;
  if (!own) return <ErrorBox error={error} />;
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <strong>{own.title}</strong> <span>{own.detail}</span>
    </div>
  );
}
