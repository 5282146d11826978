import { sql } from 'drizzle-orm';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { createFileRepository, type FileRepository } from './files-repository';
import { describeOnEachDatabase } from './test-databases';

describeOnEachDatabase('file repository', (database) => {
  let repository: FileRepository;

  beforeAll(() => {
    repository = createFileRepository(database().db);
  });

  beforeEach(async () => {
    await database().db.execute(sql`TRUNCATE uploaded_files`);
  });

  const upload = (id: string, userId: string) =>
    repository.create({
      id,
      userId,
      name: `${id}.txt`,
      mimeType: 'text/plain',
      bytes: 5,
      objectKey: `files/prod/${id}`,
      status: 'pending',
    });

  it('finds and counts files only for their owner', async () => {
    const created = await upload('file_a', 'alice');
    await upload('file_b', 'alice');
    await upload('file_bob', 'bob');
    expect(created).toMatchObject({ status: 'pending', extractedText: null, error: null, finishedAt: null });
    expect(await repository.findForUser('file_a', 'alice')).toEqual(created);
    expect(await repository.findForUser('file_a', 'bob')).toBeUndefined();
    expect(await repository.countForUser('alice')).toBe(2);
    expect(await repository.countForUser('carol')).toBe(0);

    const many = await repository.findManyForUser(['file_a', 'file_bob', 'file_missing'], 'alice');
    expect(many.map((row) => row.id)).toEqual(['file_a']);
    expect(await repository.findManyForUser([], 'alice')).toEqual([]);
  });

  it("searches only the owner's ready files, by name or text, with LIKE wildcards taken literally", async () => {
    await upload('file_tide', 'alice');
    await upload('file_pct', 'alice');
    await upload('file_pending', 'alice');
    await upload('file_bob', 'bob');
    await repository.markReady('file_tide', 'Spring TIDES flood the quay');
    await repository.markReady('file_pct', 'growth of 100% this year');
    await repository.markReady('file_bob', 'Bob also writes about tides');
    const ids = async (terms: string[]) =>
      (await repository.searchForUser('alice', terms, 10)).map((row) => row.id).sort();
    expect(await ids(['tide'])).toEqual(['file_tide']);
    expect(await ids(['quay', 'growth'])).toEqual(['file_pct', 'file_tide']);
    expect(await ids(['file_pending'])).toEqual([]);
    expect(await ids(['pct'])).toEqual(['file_pct']);
    expect(await ids(['100%'])).toEqual(['file_pct']);
    expect(await ids(['%'])).toEqual(['file_pct']);
    expect(await ids(['_'])).toEqual(['file_pct', 'file_tide']);
    expect(await ids(['nothing'])).toEqual([]);
  });

  it('lists the owner’s files newest first, one page at a time', async () => {
    for (const id of ['file_a', 'file_b', 'file_c']) await upload(id, 'alice');
    await upload('file_bob', 'bob');
    const at = (day: number) => new Date(Date.UTC(2025, 0, day)).toISOString();
    await database().db.execute(sql`UPDATE uploaded_files SET created_at = ${at(2)} WHERE id = 'file_a'`);
    await database().db.execute(sql`UPDATE uploaded_files SET created_at = ${at(1)} WHERE id = 'file_b'`);
    await database().db.execute(sql`UPDATE uploaded_files SET created_at = ${at(3)} WHERE id = 'file_c'`);
    const ids = async (limit: number, offset: number) =>
      (await repository.listForUser('alice', { limit, offset })).map((row) => row.id);
    expect(await ids(10, 0)).toEqual(['file_c', 'file_a', 'file_b']);
    expect(await ids(1, 2)).toEqual(['file_b']);
  });

  it('records extraction: ready with the text and no error, or failed with the reason', async () => {
    await upload('file_a', 'alice');
    await upload('file_b', 'alice');
    await repository.markFailed('file_a', 'first attempt failed');
    await repository.markReady('file_a', 'the text');
    await repository.markFailed('file_b', 'not a PDF');
    const ready = await repository.findForUser('file_a', 'alice');
    expect(ready).toMatchObject({ status: 'ready', extractedText: 'the text', error: null });
    expect(ready?.finishedAt).toBeInstanceOf(Date);
    const failed = await repository.findForUser('file_b', 'alice');
    expect(failed).toMatchObject({ status: 'failed', extractedText: null, error: 'not a PDF' });
    expect(failed?.finishedAt).toBeInstanceOf(Date);
  });

  it('deletes by id', async () => {
    await upload('file_a', 'alice');
    await repository.delete('file_a');
    await repository.delete('file_a');
    expect(await repository.countForUser('alice')).toBe(0);
  });
});
