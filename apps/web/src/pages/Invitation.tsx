import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, secondaryButtonClass } from '../components/ui';
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
      setOutcome('You declined the invitation.');
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <main className="mx-auto max-w-xl space-y-4 p-4">
      <h1 className="text-xl font-semibold">Project invitation</h1>
      <ErrorBox error={preview.error ?? error} />
      {preview.isLoading && <p role="status">Loading…</p>}
      {invitation && (
        <>
          <p>
            {invitation.inviterName ?? 'Someone'} invited <strong>{invitation.email}</strong> to the project{' '}
            <strong>{invitation.projectName}</strong> as <strong>{invitation.role}</strong>.
          </p>
          {outcome ? (
            <p role="status">{outcome}</p>
          ) : invitation.state === 'pending' ? (
            <>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                It expires on {new Date(invitation.expiresAt).toLocaleString()}.
              </p>
              <div className="flex flex-wrap gap-2">
                {signedIn ? (
                  <button type="button" className={buttonClass} onClick={() => void accept()}>
                    Accept and join
                  </button>
                ) : (
                  <button type="button" className={buttonClass} onClick={() => navigate('/signin')}>
                    Sign in (then open this link again)
                  </button>
                )}
                <button type="button" className={secondaryButtonClass} onClick={() => void decline()}>
                  Decline
                </button>
              </div>
            </>
          ) : (
            <p role="status">This invitation is {invitation.state}.</p>
          )}
        </>
      )}
    </main>
  );
}
