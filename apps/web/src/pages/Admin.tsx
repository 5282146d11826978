import { type KeyboardEvent, useRef, useState } from 'react';
import { buttonClass, secondaryButtonClass } from '../components/ui';
import { useTranslation } from '../lib/i18n';
import { Apps } from './admin/Apps';
import { Events } from './admin/Events';
import { Health } from './admin/Health';
import { Jobs } from './admin/Jobs';
import { Keys } from './admin/Keys';
import { Plans } from './admin/Plans';
import { Projects } from './admin/Projects';
import { Schedules } from './admin/Schedules';
import { Settings } from './admin/Settings';
import { UsageDashboard } from './admin/UsageDashboard';
import { Users } from './admin/Users';
import { WhatsApp } from './admin/WhatsApp';

const tabs = [
  { name: 'Usage', Panel: UsageDashboard },
  { name: 'Keys', Panel: Keys },
  { name: 'Settings', Panel: Settings },
  { name: 'Users', Panel: Users },
  { name: 'Plans', Panel: Plans },
  { name: 'Projects', Panel: Projects },
  { name: 'Jobs', Panel: Jobs },
  { name: 'Events', Panel: Events },
  { name: 'Schedules', Panel: Schedules },
  { name: 'Apps', Panel: Apps },
  { name: 'WhatsApp', Panel: WhatsApp },
  { name: 'Health', Panel: Health },
] as const;
type Tab = (typeof tabs)[number]['name'];

/** The admin console: one tab per area, loaded as its own chunk (see App.tsx). */
export function AdminPage() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>('Usage');
  const buttons = useRef(new Map<Tab, HTMLButtonElement>());
  const current = tabs.find((entry) => entry.name === tab) ?? tabs[0];

  // The WAI-ARIA tabs pattern: arrow keys, Home and End move between tabs; Tab goes into the panel.
  const onKeyDown = (event: KeyboardEvent) => {
    const index = tabs.findIndex((entry) => entry.name === tab);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % tabs.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + tabs.length) % tabs.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? tabs.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    const name = tabs[next]?.name ?? 'Usage';
    setTab(name);
    buttons.current.get(name)?.focus();
  };

  return (
    <main className="mx-auto max-w-6xl p-4">
      <h1 className="mb-4 text-2xl font-semibold">{t('admin.title')}</h1>
      {/* One scrolling line at phone width: wrapped, ten tabs took four lines above every panel. */}
      <div
        role="tablist"
        aria-label={t('admin.sections')}
        className="-mx-4 mb-4 flex gap-1 overflow-x-auto px-4 pb-1 sm:mx-0 sm:flex-wrap sm:px-0"
        onKeyDown={onKeyDown}
      >
        {tabs.map(({ name }) => (
          <button
            key={name}
            ref={(element) => {
              if (element) buttons.current.set(name, element);
              else buttons.current.delete(name);
            }}
            id={`admin-tab-${name}`}
            type="button"
            role="tab"
            aria-selected={tab === name}
            aria-controls={`admin-panel-${name}`}
            tabIndex={tab === name ? 0 : -1}
            className={`${tab === name ? buttonClass : secondaryButtonClass} shrink-0`}
            onClick={() => setTab(name)}
          >
            {t(`admin.tabs.${name}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`admin-panel-${current.name}`} aria-labelledby={`admin-tab-${current.name}`}>
        <current.Panel />
      </div>
    </main>
  );
}
