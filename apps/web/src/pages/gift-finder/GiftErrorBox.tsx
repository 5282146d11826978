import { ErrorBox } from '../../components/ui';
import { ApiError } from '../../lib/api';
import { useTranslation } from '../../lib/i18n';

/** The gift finder's own refusals, said in its words (keys under gift.errors); anything else as every page says it. */
const messages = {
  SY_ERR_GIFT_PROFILE_CONSENT_REQUIRED: ['gift.errors.consent.title', 'gift.errors.consent.detail'],
  SY_ERR_GIFT_SESSION_STATE: ['gift.errors.state.title', 'gift.errors.state.detail'],
  SY_ERR_GIFT_SESSION_NOT_FOUND: ['gift.errors.notFound.title', 'gift.errors.notFound.detail'],
} as const;

export function GiftErrorBox({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const code = error instanceof ApiError && Object.hasOwn(messages, error.code) ? error.code : undefined;
  const keys = code ? messages[code as keyof typeof messages] : undefined;
  const own = keys ? { title: t(keys[0]), detail: t(keys[1]) } : undefined;
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
