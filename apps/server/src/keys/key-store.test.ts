import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createKeyStore } from './key-store';

const row = (keyHash: string) => ({
  id: keyHash,
  name: keyHash,
  keyHash,
  keyPrefix: 'dev_x',
  environment: 'dev',
  isAdmin: false,
  scopes: ['chat'],
  userId: null,
  revokedAt: null,
});

function storeOver(rows: ReturnType<typeof row>[], delayMs = 0) {
  let loads = 0;
  const store = createKeyStore(
    async () => {
      loads += 1;
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return [...rows];
    },
    pino({ level: 'silent' }),
  );
  return { store, loads: () => loads };
}

describe('key store: a key it has not heard of yet', () => {
  // The reload window is kept by performance.now() and setTimeout: both move only when a test advances them.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const pastTheWindow = () => vi.advanceTimersByTimeAsync(260);

  it('is found after reloadForMiss when the database has it', async () => {
    const rows = [row('a')];
    const { store, loads } = storeOver(rows);
    await store.reload();
    rows.push(row('b'));
    expect(store.findByHash('b')).toBeUndefined();
    await pastTheWindow();
    await store.reloadForMiss();
    expect(store.findByHash('b')?.id).toBe('b');
    expect(loads()).toBe(2);
  });

  it('reloads at most four times a second however many unknown keys arrive', async () => {
    const { store, loads } = storeOver([row('a')]);
    await store.reload();
    await pastTheWindow();
    const started = performance.now();
    let settled = false;
    const misses = Promise.all(Array.from({ length: 50 }, () => store.reloadForMiss())).then(() => {
      settled = true;
    });
    // The first miss reloads at once; the other 49 wait for the window and then share one reload.
    await vi.advanceTimersByTimeAsync(249);
    expect(loads()).toBe(2);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await misses;
    expect(loads()).toBe(3);
    expect(performance.now() - started).toBe(250);
  });

  it('finds a key added right after a reload: the miss waits for the next window instead of giving up', async () => {
    const rows = [row('a')];
    const { store } = storeOver(rows);
    await store.reload();
    rows.push(row('late'));
    const miss = store.reloadForMiss();
    await vi.advanceTimersByTimeAsync(250);
    await miss;
    expect(store.findByHash('late')?.id).toBe('late');
  });

  it('queues exactly one more reload behind one that was already running (it may have read too early)', async () => {
    const rows = [row('a')];
    const { store, loads } = storeOver(rows, 50);
    await pastTheWindow();
    const first = store.reload();
    const miss = store.reloadForMiss();
    await vi.advanceTimersByTimeAsync(300);
    await Promise.all([first, miss]);
    expect(loads()).toBe(2);
  });

  it('never throws: a failing database leaves the previous keys in place', async () => {
    let fail = false;
    const store = createKeyStore(
      async () => {
        if (fail) throw new Error('database down');
        return [row('a')];
      },
      pino({ level: 'silent' }),
    );
    await store.reload();
    fail = true;
    await pastTheWindow();
    await expect(store.reloadForMiss()).resolves.toBeUndefined();
    expect(store.findByHash('a')?.id).toBe('a');
  });
});
