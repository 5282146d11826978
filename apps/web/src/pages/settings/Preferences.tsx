import { selectClass } from '../../components/ui';
import { changeLanguage, preferredLanguage, useTranslation } from '../../lib/i18n';
import {
  type Language,
  languages,
  type SendKey,
  setPreference,
  type ThemeChoice,
  usePreferences,
} from '../../lib/preferences';
import { Section } from './Section';

/** Each language's name in itself, so a person who cannot read the current one still finds theirs. */
const languageNames: Record<Language, string> = { en: 'English', pl: 'Polski' };

/** Theme, language and the composer's send key: kept in this browser (lib/preferences.ts). */
export function Preferences() {
  const { t, i18n } = useTranslation();
  const preferences = usePreferences();
  const themes: ThemeChoice[] = ['system', 'light', 'dark'];
  const sendKeys: SendKey[] = ['enter', 'ctrl-enter'];
  return (
    <Section id="preferences" title={t('settings.preferences.title')}>
      <fieldset className="space-y-1 text-sm">
        <legend className="mb-1 font-medium">{t('settings.preferences.theme')}</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {themes.map((theme) => (
            <label key={theme} className="flex items-center gap-1">
              <input
                type="radio"
                name="theme"
                value={theme}
                checked={preferences.theme === theme}
                onChange={() => setPreference('theme', theme)}
              />
              {t(`settings.preferences.themes.${theme}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">{t('settings.preferences.language')}</span>
        <select
          className={selectClass}
          value={preferences.language ?? 'auto'}
          onChange={(event) => {
            const value = event.target.value;
            const language = value === 'auto' ? null : (value as Language);
            setPreference('language', language);
            void changeLanguage(language ?? preferredLanguage());
          }}
        >
          <option value="auto">{t('settings.preferences.languageAuto')}</option>
          {languages.map((language) => (
            <option key={language} value={language} lang={language}>
              {languageNames[language]}
            </option>
          ))}
        </select>
        <span className="mt-1 block text-xs text-slate-500">
          {t('settings.preferences.languageNow', {
            language: languageNames[i18n.language as Language] ?? i18n.language,
          })}
        </span>
      </label>
      <fieldset className="space-y-1 text-sm">
        <legend className="mb-1 font-medium">{t('settings.preferences.sendKey')}</legend>
        {sendKeys.map((sendKey) => (
          <label key={sendKey} className="flex items-center gap-1">
            <input
              type="radio"
              name="send-key"
              value={sendKey}
              checked={preferences.sendKey === sendKey}
              onChange={() => setPreference('sendKey', sendKey)}
            />
            {t(`settings.preferences.sendKeys.${sendKey}`)}
          </label>
        ))}
      </fieldset>
    </Section>
  );
}
