import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { buttonClass, ErrorBox, inputClass, secondaryButtonClass, selectClass } from '../components/ui';
import { api } from '../lib/api';

const tabs = ['Usage', 'Keys', 'Settings', 'Users', 'Jobs', 'Health'] as const;
type Tab = (typeof tabs)[number];

export function AdminPage() {
  const [tab, setTab] = useState<Tab>('Usage');
  return (
    <main className="mx-auto max-w-6xl p-4">
      <h1 className="mb-4 text-2xl font-semibold">Admin</h1>
      <div role="tablist" aria-label="Admin sections" className="mb-4 flex flex-wrap gap-1">
        {tabs.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            className={tab === name ? buttonClass : secondaryButtonClass}
            onClick={() => setTab(name)}
          >
            {name}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={tab}>
        {tab === 'Usage' && <Usage />}
        {tab === 'Keys' && <Keys />}
        {tab === 'Settings' && <Settings />}
        {tab === 'Users' && <Users />}
        {tab === 'Jobs' && <Jobs />}
        {tab === 'Health' && <Health />}
      </div>
    </main>
  );
}

interface Stats {
  requests: number;
  tokens: number;
  errors: number;
  error_rate: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
}
interface UsageData {
  buckets: (Stats & { start: string })[];
  models: (Stats & { model: string | null })[];
  totals: Stats;
}

function BarChart({ points, label }: { points: { x: string; y: number }[]; label: string }) {
  const max = Math.max(1, ...points.map((point) => point.y));
  const width = 600;
  const height = 120;
  const barWidth = points.length ? width / points.length : width;
  return (
    <figure>
      <figcaption className="mb-1 text-sm font-medium">{label}</figcaption>
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${width} ${height + 20}`}
        className="w-full max-w-2xl rounded border border-slate-200 dark:border-slate-800"
      >
        {points.map((point, index) => {
          const barHeight = (point.y / max) * height;
          return (
            <rect
              key={point.x}
              x={index * barWidth + 1}
              y={height - barHeight}
              width={Math.max(1, barWidth - 2)}
              height={barHeight}
              className="fill-indigo-500"
            >
              <title>{`${new Date(point.x).toLocaleString()}: ${point.y}`}</title>
            </rect>
          );
        })}
        <text x="4" y={height + 15} className="fill-slate-500 text-[10px]">
          max {max}
        </text>
      </svg>
    </figure>
  );
}

function Usage() {
  const [environment, setEnvironment] = useState<'prod' | 'dev'>('prod');
  const [bucket, setBucket] = useState<'minute' | 'hour'>('minute');
  const step = bucket === 'minute' ? 60_000 : 3_600_000;
  const usage = useQuery({
    queryKey: ['usage', environment, bucket],
    queryFn: () => {
      const since = Math.floor((Date.now() - 59 * step) / step) * step;
      return api<UsageData>(
        `/v1/admin/usage?environment=${environment}&bucket=${bucket}&since=${new Date(since).toISOString()}`,
      ).then((data) => ({ ...data, slots: fillSlots(data.buckets, since, step) }));
    },
    refetchInterval: 5000,
  });
  const totals = usage.data?.totals;
  return (
    <section className="space-y-4">
      <div className="flex gap-2">
        <select
          aria-label="Environment"
          className={selectClass}
          value={environment}
          onChange={(e) => setEnvironment(e.target.value as 'prod' | 'dev')}
        >
          <option value="prod">prod</option>
          <option value="dev">dev</option>
        </select>
        <select
          aria-label="Bucket"
          className={selectClass}
          value={bucket}
          onChange={(e) => setBucket(e.target.value as 'minute' | 'hour')}
        >
          <option value="minute">per minute (last hour)</option>
          <option value="hour">per hour (last 60 hours)</option>
        </select>
      </div>
      <ErrorBox error={usage.error} />
      {totals && (
        <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4" data-testid="usage-totals">
          {[
            ['Requests', totals.requests],
            ['Tokens', totals.tokens],
            ['Error rate', `${(totals.error_rate * 100).toFixed(1)}%`],
            [
              'Latency p50/p95/p99',
              `${totals.latency_p50_ms ?? '–'} / ${totals.latency_p95_ms ?? '–'} / ${totals.latency_p99_ms ?? '–'} ms`,
            ],
          ].map(([name, value]) => (
            <div key={name} className="rounded border border-slate-200 p-2 dark:border-slate-800">
              <dt className="text-xs text-slate-500">{name}</dt>
              <dd className="text-lg font-semibold">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      {usage.data && (
        <>
          <BarChart label="Requests" points={usage.data.slots.map((slot) => ({ x: slot.x, y: slot.requests }))} />
          <BarChart label="p95 latency (ms)" points={usage.data.slots.map((slot) => ({ x: slot.x, y: slot.p95 }))} />
          <table className="w-full text-left text-sm">
            <caption className="text-left font-medium">Per model</caption>
            <thead>
              <tr>
                <th>Model</th>
                <th>Requests</th>
                <th>Tokens</th>
                <th>Errors</th>
                <th>p50</th>
                <th>p95</th>
                <th>p99</th>
              </tr>
            </thead>
            <tbody>
              {usage.data.models.map((row) => (
                <tr key={row.model ?? '(none)'}>
                  <td>{row.model ?? '(none)'}</td>
                  <td>{row.requests}</td>
                  <td>{row.tokens}</td>
                  <td>{(row.error_rate * 100).toFixed(1)}%</td>
                  <td>{row.latency_p50_ms}</td>
                  <td>{row.latency_p95_ms}</td>
                  <td>{row.latency_p99_ms}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** One entry per time slot (60 minutes or hours), zero where nothing happened, so the chart has a steady time axis. */
export function fillSlots(buckets: UsageData['buckets'], since: number, step: number) {
  const byStart = new Map(buckets.map((entry) => [new Date(entry.start).getTime(), entry]));
  return Array.from({ length: 60 }, (_, i) => {
    const start = since + i * step;
    const entry = byStart.get(start);
    return { x: new Date(start).toISOString(), requests: entry?.requests ?? 0, p95: entry?.latency_p95_ms ?? 0 };
  });
}

interface KeyRecord {
  id: string;
  name: string;
  environment: string;
  prefix?: string;
  revokedAt?: string | null;
  createdAt?: string;
}

function Keys() {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => api<{ keys: KeyRecord[] }>('/v1/admin/keys') });
  const [name, setName] = useState('');
  const [environment, setEnvironment] = useState<'prod' | 'dev'>('dev');
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api<{ key: string }>('/v1/admin/keys', { method: 'POST', json: { name, environment } }),
    onSuccess: (result) => {
      setCreated(result.key);
      setName('');
      void client.invalidateQueries({ queryKey: ['keys'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/v1/admin/keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['keys'] }),
  });
  return (
    <section className="space-y-4">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <input
          className={`${inputClass} w-64`}
          aria-label="Key name"
          placeholder="Key name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <select
          aria-label="Key environment"
          className={selectClass}
          value={environment}
          onChange={(e) => setEnvironment(e.target.value as 'prod' | 'dev')}
        >
          <option value="dev">dev</option>
          <option value="prod">prod</option>
        </select>
        <button type="submit" className={buttonClass}>
          Create key
        </button>
      </form>
      <ErrorBox error={create.error ?? revoke.error ?? keys.error} />
      {created && (
        <div role="status" className="rounded border border-green-400 bg-green-50 p-3 text-sm dark:bg-green-950">
          <p className="mb-1">Copy this key now; it will not be shown again:</p>
          <code data-testid="new-key" className="break-all">
            {created}
          </code>{' '}
          <button
            type="button"
            className={secondaryButtonClass}
            onClick={() => void navigator.clipboard?.writeText(created)}
          >
            Copy key
          </button>
        </div>
      )}
      <table className="w-full text-left text-sm">
        <thead>
          <tr>
            <th>Name</th>
            <th>Environment</th>
            <th>Prefix</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.data?.keys.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>{key.environment}</td>
              <td>{key.prefix}</td>
              <td>{key.revokedAt ? 'revoked' : 'active'}</td>
              <td>
                {!key.revokedAt && (
                  <button
                    type="button"
                    className="underline"
                    aria-label={`Revoke ${key.name}`}
                    onClick={() => revoke.mutate(key.id)}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface Setting {
  key: string;
  value: number | boolean | string;
  type: string;
  description: string;
  minimum?: number;
  maximum?: number;
}

function SettingRow({ setting }: { setting: Setting }) {
  const client = useQueryClient();
  const [value, setValue] = useState(String(setting.value));
  const save = useMutation({
    mutationFn: () => {
      const parsed =
        setting.type === 'number' || setting.type === 'integer'
          ? Number(value)
          : setting.type === 'boolean'
            ? value === 'true'
            : value;
      return api(`/v1/admin/settings/${encodeURIComponent(setting.key)}`, { method: 'PUT', json: { value: parsed } });
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['settings'] }),
  });
  return (
    <li className="rounded border border-slate-200 p-2 dark:border-slate-800">
      <form
        className="flex flex-wrap items-center gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label className="min-w-64 flex-1 text-sm">
          <code className="font-semibold">{setting.key}</code>
          <span className="block text-xs text-slate-500">{setting.description}</span>
          <input
            className={`${inputClass} mt-1`}
            aria-label={setting.key}
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
        <button type="submit" className={secondaryButtonClass} aria-label={`Save ${setting.key}`}>
          Save
        </button>
        {save.isSuccess && (
          <span role="status" className="text-sm text-green-700">
            Saved
          </span>
        )}
      </form>
      <ErrorBox error={save.error} />
    </li>
  );
}

function Settings() {
  const settings = useQuery({
    queryKey: ['settings'],
    queryFn: () => api<{ settings: Setting[] }>('/v1/admin/settings'),
  });
  return (
    <section>
      <ErrorBox error={settings.error} />
      <ul className="space-y-2">
        {settings.data?.settings.map((setting) => (
          <SettingRow key={setting.key} setting={setting} />
        ))}
      </ul>
    </section>
  );
}

interface User {
  id: string;
  email: string;
  name: string;
  role: string;
}

function Users() {
  const client = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api<{ users: User[] }>('/api/users') });
  const setRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: string }) =>
      api(`/api/users/${id}/role`, { method: 'PUT', json: { role } }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <section>
      <ErrorBox error={users.error ?? setRole.error} />
      <table className="w-full text-left text-sm">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
          </tr>
        </thead>
        <tbody>
          {users.data?.users.map((user) => (
            <tr key={user.id}>
              <td>{user.email}</td>
              <td>{user.name}</td>
              <td>
                <select
                  aria-label={`Role of ${user.email}`}
                  className={selectClass}
                  value={user.role}
                  onChange={(e) => setRole.mutate({ id: user.id, role: e.target.value })}
                >
                  <option value="user">user</option>
                  <option value="admin">admin</option>
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface DeadJob {
  id: string;
  name: string;
  error?: string | null;
  failed_at?: string;
}

function Jobs() {
  const client = useQueryClient();
  const stats = useQuery({
    queryKey: ['jobs'],
    queryFn: () => api<Record<string, unknown>>('/v1/admin/jobs'),
    refetchInterval: 5000,
  });
  const dead = useQuery({ queryKey: ['dead'], queryFn: () => api<{ jobs: DeadJob[] }>('/v1/admin/jobs/dead') });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'replay' | 'discard' }) =>
      action === 'replay'
        ? api(`/v1/admin/jobs/${id}/replay`, { method: 'POST' })
        : api(`/v1/admin/jobs/${id}`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['dead'] }),
  });
  return (
    <section className="space-y-4">
      <ErrorBox error={stats.error ?? dead.error ?? act.error} />
      <h2 className="font-semibold">Queues</h2>
      <pre className="overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-900">
        {JSON.stringify(stats.data, null, 2)}
      </pre>
      <h2 className="font-semibold">Dead-letter queue</h2>
      {dead.data?.jobs.length === 0 && <p className="text-sm text-slate-500">Empty.</p>}
      <ul className="space-y-1">
        {dead.data?.jobs.map((job) => (
          <li key={job.id} className="flex flex-wrap items-center gap-2 text-sm">
            <code>{job.name}</code> <span className="text-red-600">{job.error}</span>
            <button
              type="button"
              className={secondaryButtonClass}
              onClick={() => act.mutate({ id: job.id, action: 'replay' })}
            >
              Replay
            </button>
            <button
              type="button"
              className={secondaryButtonClass}
              onClick={() => act.mutate({ id: job.id, action: 'discard' })}
            >
              Discard
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Health() {
  const ready = useQuery({
    queryKey: ['ready-detail'],
    queryFn: async () =>
      (await fetch('/ready')).json() as Promise<{
        status: string;
        checks: Record<string, { ok: boolean; latency_ms?: number; error?: string }>;
      }>,
    refetchInterval: 10_000,
  });
  return (
    <section>
      <p className="mb-2">
        Status: <strong>{ready.data?.status ?? '…'}</strong>
      </p>
      <ul className="space-y-1 text-sm">
        {Object.entries(ready.data?.checks ?? {}).map(([name, check]) => (
          <li key={name}>
            <span aria-hidden="true">{check.ok ? '🟢' : '🔴'}</span> {name}: {check.ok ? 'ok' : 'failing'}{' '}
            {check.latency_ms !== undefined && `(${check.latency_ms} ms)`} {check.error}
          </li>
        ))}
      </ul>
    </section>
  );
}
