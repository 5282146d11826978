import type { PublicKey } from '@switchyard/api-schemas';
import { formatDateTime, useTranslation } from '../lib/i18n';

/** "Active", or when the key was revoked: the status column of every keys table. */
export function KeyStatus({ revokedAt }: { revokedAt: string | null }) {
  const { t } = useTranslation();
  return (
    <>{revokedAt ? t('settings.keys.revokedAt', { when: formatDateTime(revokedAt) }) : t('settings.keys.active')}</>
  );
}

/**
 * Revoke with a confirmation step, for a row of a keys table (your own keys, the admin's list).
 * `confirming` is the id of the key awaiting confirmation in that table: one at a time.
 */
export function RevokeKeyCell(props: {
  keyRecord: Pick<PublicKey, 'id' | 'name' | 'revokedAt'>;
  confirming: string | null;
  setConfirming(id: string | null): void;
  pending: boolean;
  onRevoke(id: string): void;
}) {
  const { t } = useTranslation();
  const { keyRecord: key, confirming, setConfirming } = props;
  return (
    <td className="whitespace-nowrap">
      {!key.revokedAt &&
        (confirming === key.id ? (
          <>
            <button
              type="button"
              className="text-red-700 underline dark:text-red-400"
              aria-label={t('settings.keys.confirmRevokeLabel', { name: key.name })}
              disabled={props.pending}
              onClick={() => props.onRevoke(key.id)}
            >
              {t('settings.keys.confirmRevoke')}
            </button>{' '}
            <button type="button" className="underline" onClick={() => setConfirming(null)}>
              {t('settings.keys.keep')}
            </button>
          </>
        ) : (
          <button
            type="button"
            className="underline"
            aria-label={t('settings.keys.revokeLabel', { name: key.name })}
            onClick={() => setConfirming(key.id)}
          >
            {t('settings.keys.revoke')}
          </button>
        ))}
    </td>
  );
}
