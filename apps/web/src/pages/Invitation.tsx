import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Trans } from 'react-i18next';
import { buttonClass, ErrorBox, secondaryButtonClass } from '../components/ui';
import { formatDateTime, useTranslation } from '../lib/i18n';
import {
  acceptInvitation,
  declineInvitation,
  previewInvitation,
  projectKeys,
  setCurrentProject,
} from '../lib/projects';
import { navigate } from '../lib/router';

/** The page an invitation mail links to: what it is for, then accept (signed in as the invited address) or decline. */
export function InvitationPage({ token, signedIn }: { token: string; signedIn: boolean }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const preview = useQuery({ queryKey: ['invitation', token], queryFn: () => previewInvitation(token), retry: false });
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const invitation = preview.data;

  const accept = async () => {
    setError(null);
    try {
      const answer = await acceptInvitation(token);
      setCurrentProject(answer.project.id);
      await client.invalidateQueries({ queryKey: projectKeys.mine });
      await client.resetQueries({ queryKey: ['chats'] });
      navigate('/projects');
    } catch (failure) {
      setError(failure);
    }
  };
  const decline = async () => {
    setError(null);
    try {
      await declineInvitation(token);
      setOutcome(t('invitation.declined'));
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <main className="mx-auto max-w-xl space-y-4 p-4">
      <h1 className="text-xl font-semibold">{t('invitation.title')}</h1>
      <ErrorBox error={preview.error ?? error} />
      {preview.isLoading && <p role="status">{t('common.loading')}</p>}
      {invitation && (
        <>
          <p>
            <Trans
              i18nKey="invitation.text"
              values={{
                inviter: invitation.inviterName ?? t('invitation.someone'),
                email: invitation.email,
                project: invitation.projectName,
                role: t(`projects.roles.${invitation.role}`),
              }}
              components={{ strong: <strong /> }}
            />
          </p>
          {outcome ? (
            <p role="status">{outcome}</p>
          ) : invitation.state === 'pending' ? (
            <>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                {t('invitation.expiresOn', { when: formatDateTime(invitation.expiresAt) })}
              </p>
              <div className="flex flex-wrap gap-2">
                {signedIn ? (
                  <button type="button" className={buttonClass} onClick={() => void accept()}>
                    {t('invitation.accept')}
                  </button>
                ) : (
                  <button type="button" className={buttonClass} onClick={() => navigate('/signin')}>
                    {t('invitation.signIn')}
                  </button>
                )}
                <button type="button" className={secondaryButtonClass} onClick={() => void decline()}>
                  {t('invitation.decline')}
                </button>
              </div>
            </>
          ) : (
            <p role="status">{t(`invitation.states.${invitation.state}`)}</p>
          )}
        </>
      )}
    </main>
  );
}
