// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until';
import { viewCookie } from './early-requests';
import { changeLanguage, i18n } from './i18n';
import { setCurrentProject } from './projects';
import { keepViewHint } from './view-hint';

function writtenView(): Record<string, unknown> {
  const entry = document.cookie.split('; ').find((part) => part.startsWith(`${viewCookie}=`));
  return entry ? JSON.parse(decodeURIComponent(entry.slice(viewCookie.length + 1))) : {};
}

describe('the view cookie (what the server needs to draw the next chat page as this browser would)', () => {
  const language = i18n.language;
  afterEach(async () => {
    setCurrentProject(null);
    await changeLanguage(language as 'en');
  });

  it('is written with the language, the time zone, the project and the theme, and again when they change', async () => {
    keepViewHint();
    expect(writtenView()).toEqual({
      language,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      project: null,
      dark: false,
    });
    document.documentElement.classList.add('dark');
    await until(() => {
      if (writtenView().dark !== true) throw new Error('not written yet');
    });
    document.documentElement.classList.remove('dark');
    await until(() => {
      if (writtenView().dark !== false) throw new Error('not written yet');
    });
    setCurrentProject('prj_1');
    expect(writtenView()).toMatchObject({ project: 'prj_1' });
    await changeLanguage(language === 'pl' ? 'en' : 'pl');
    expect(writtenView()).toMatchObject({ language: i18n.language, project: 'prj_1' });
  });
});
