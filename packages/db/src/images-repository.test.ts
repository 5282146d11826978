import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImageRepository, type ImageRepository } from './images-repository';
import { describeOnEachDatabase } from './test-databases';

describeOnEachDatabase('image repository', (database) => {
  let repository: ImageRepository;

  beforeAll(() => {
    repository = createImageRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE images, image_usage`);
  });

  const queue = (id: string, subject: string) =>
    repository.create({
      id,
      environment: 'dev',
      subject,
      apiKeyId: null,
      prompt: 'a lighthouse',
      width: 512,
      height: 512,
      steps: 20,
      seed: null,
      model: 'placeholder',
      status: 'queued',
      jobId: id,
    });

  it('finds an image only for the subject that asked for it', async () => {
    await queue('img_a', 'key:one');
    expect(await repository.findForSubject('img_a', 'key:one')).toMatchObject({
      id: 'img_a',
      environment: 'dev',
      status: 'queued',
      objectKey: null,
      finishedAt: null,
    });
    expect(await repository.findForSubject('img_a', 'key:two')).toBeUndefined();
    expect(await repository.findForSubject('img_missing', 'key:one')).toBeUndefined();
  });

  it('moves an image through running to ready or failed', async () => {
    await queue('img_a', 'key:one');
    await queue('img_b', 'key:one');
    await repository.markRunning('img_a');
    expect((await repository.findForSubject('img_a', 'key:one'))?.status).toBe('running');
    await repository.markReady('img_a', {
      objectKey: 'images/dev/img_a.png',
      mimeType: 'image/png',
      bytes: 42,
      seed: 7,
    });
    const ready = await repository.findForSubject('img_a', 'key:one');
    expect(ready).toMatchObject({
      status: 'ready',
      objectKey: 'images/dev/img_a.png',
      bytes: 42,
      seed: 7,
      error: null,
    });
    expect(ready?.finishedAt).toBeInstanceOf(Date);
    await repository.markFailed('img_b', 'model unavailable');
    expect(await repository.findForSubject('img_b', 'key:one')).toMatchObject({
      status: 'failed',
      error: 'model unavailable',
    });
  });

  describe('daily counts', () => {
    it('counts up to the limit and no further, per environment, subject and day', async () => {
      const day = '2025-03-01';
      expect(await repository.dailyCount('dev', 'key:one', day)).toBe(0);
      expect(await repository.incrementDailyCount('dev', 'key:one', day, 2)).toBe(1);
      expect(await repository.incrementDailyCount('dev', 'key:one', day, 2)).toBe(2);
      expect(await repository.incrementDailyCount('dev', 'key:one', day, 2)).toBeUndefined();
      expect(await repository.dailyCount('dev', 'key:one', day)).toBe(2);
      expect(await repository.incrementDailyCount('prod', 'key:one', day, 2)).toBe(1);
      expect(await repository.incrementDailyCount('dev', 'key:two', day, 2)).toBe(1);
      expect(await repository.incrementDailyCount('dev', 'key:one', '2025-03-02', 2)).toBe(1);
      expect(await repository.dailyCount('dev', 'key:one', day)).toBe(2);
    });

    it('lets no more than the limit through when requests arrive at once', async () => {
      const taken = await Promise.all(
        Array.from({ length: 10 }, () => repository.incrementDailyCount('dev', 'key:busy', '2025-03-01', 4)),
      );
      expect(taken.filter((count) => count !== undefined).sort()).toEqual([1, 2, 3, 4]);
    });

    it('gives units back without going below zero or creating rows', async () => {
      const day = '2025-03-01';
      await repository.incrementDailyCount('dev', 'key:one', day, 5);
      await repository.decrementDailyCount('dev', 'key:one', day);
      await repository.decrementDailyCount('dev', 'key:one', day);
      expect(await repository.dailyCount('dev', 'key:one', day)).toBe(0);
      await repository.decrementDailyCount('dev', 'key:none', day);
      const rows = await database().db.execute<{ total: number }>(sql`SELECT count(*)::int AS total FROM image_usage`);
      expect(rows.rows[0]?.total).toBe(1);
    });
  });
});
