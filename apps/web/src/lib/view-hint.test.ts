// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
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

  it('is written with the language, the time zone and the project, and again when they change', async () => {
    keepViewHint();
    expect(writtenView()).toEqual({
      language,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      project: null,
    });
    setCurrentProject('prj_1');
    expect(writtenView()).toMatchObject({ project: 'prj_1' });
    await changeLanguage(language === 'pl' ? 'en' : 'pl');
    expect(writtenView()).toMatchObject({ language: i18n.language, project: 'prj_1' });
  });
});
