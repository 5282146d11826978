import type { Me } from '../lib/api';
import { useTranslation } from '../lib/i18n';
import { ApiKeys } from './settings/ApiKeys';
import { Password } from './settings/Password';
import { Preferences } from './settings/Preferences';
import { Profile } from './settings/Profile';
import { Sessions } from './settings/Sessions';

/** /settings: what every signed-in person manages for themselves (admins have the console besides). */
export function SettingsPage({ me }: { me: Me }) {
  const { t } = useTranslation();
  return (
    <main className="mx-auto max-w-3xl space-y-4 p-4">
      <h1 className="text-2xl font-semibold">{t('settings.title')}</h1>
      <nav aria-label={t('settings.sections')} className="flex flex-wrap gap-x-3 gap-y-1 text-sm">
        {(['preferences', 'profile', 'password', 'sessions', 'api-keys'] as const).map((id) => (
          <a key={id} className="underline" href={`#${id}-heading`}>
            {t(`settings.nav.${id}`)}
          </a>
        ))}
        <a className="underline" href="/usage">
          {t('settings.nav.usage')}
        </a>
      </nav>
      <Preferences />
      <Profile me={me} />
      <Password />
      <Sessions />
      <ApiKeys />
    </main>
  );
}
