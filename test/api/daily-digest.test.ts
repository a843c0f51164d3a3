import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { startTestApi, type TestApi } from '../support/api-server';
import { mailTo } from '../support/local-mail';

/**
 * The daily digest on the local runtime (whose stage sends it at 07:00 UTC): the scheduler
 * function, fired by hand for chosen times, sends each owner with an address one email of
 * their overdue and due-today tasks, once a day.
 */

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ automations: true });
});
afterAll(() => api.close());


describe('the daily digest', () => {
  it('mails each owner with an address their overdue and due-today tasks, once a day, however often the scheduler fires', async () => {
    const stamp = Date.now();
    const address = `digest-${stamp}@acme.example`;
    const owner: TokenSubject = { kind: 'user', id: `digest-${stamp}`, role: 'member', email: address, name: 'Dee Gest' };
    const silent: TokenSubject = { kind: 'user', id: `silent-${stamp}`, role: 'member' };
    // Signing in makes them owners; only the first has an address.
    for (const who of [owner, silent]) expect((await api.request('GET', '/v1/activities', { as: who })).status).toBe(200);

    const today = new Date().toISOString().slice(0, 10);
    const day = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
    const task = async (subject: string, dueAt: string | undefined, assigneeId: string, taskStatus = 'open') =>
      expect((await api.request('POST', '/v1/activities', { body: { kind: 'task', subject, assigneeId, taskStatus, ...(dueAt ? { dueAt } : {}) } })).status).toBe(201);
    await task('Send the overdue quote', `${day(-2)}T10:00:00Z`, owner.id);
    await task('Call before lunch', `${today}T11:30:00Z`, owner.id);
    await task('Prepare tomorrow', `${day(1)}T09:00:00Z`, owner.id);
    await task('Already done', `${day(-1)}T09:00:00Z`, owner.id, 'done');
    await task('Someday', undefined, owner.id);
    await task('Not mailed: no address', `${day(-1)}T09:00:00Z`, silent.id);

    const fire = async (at: string) => {
      await api.automations!.scheduler.fire('scheduler', new Date(at));
    };
    await fire(`${today}T06:55:00Z`);
    expect(await mailTo(address)).toEqual([]);
    await fire(`${today}T07:00:00Z`);
    await fire(`${today}T07:00:00Z`);
    await fire(`${today}T07:05:00Z`);

    // Within the hour after its time, an owner just given an address gets theirs too; later, nobody.
    const late = `late-${stamp}`;
    await api.addOwners(late);
    await task('Late starter task', `${day(-1)}T09:00:00Z`, late);
    expect((await api.request('PUT', `/v1/owners/${late}`, { body: { email: `${late}@acme.example` } })).status).toBe(200);
    await fire(`${today}T07:40:00Z`);
    expect(await mailTo(`${late}@acme.example`)).toHaveLength(1);
    const afterHours = `after-${stamp}`;
    await api.addOwners(afterHours);
    await task('Too late today', `${day(-1)}T09:00:00Z`, afterHours);
    expect((await api.request('PUT', `/v1/owners/${afterHours}`, { body: { email: `${afterHours}@acme.example` } })).status).toBe(200);
    await fire(`${today}T08:00:00Z`);
    expect(await mailTo(`${afterHours}@acme.example`)).toEqual([]);

    const mail = await mailTo(address);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe(`Your tasks for ${today}: 1 overdue, 1 due today`);
    expect(mail[0]!.body.text).toContain('Hello Dee Gest,');
    expect(mail[0]!.body.text).toContain(`- Send the overdue quote (due ${day(-2)} 10:00)`);
    expect(mail[0]!.body.text).toContain('- Call before lunch (due today 11:30)');
    for (const left of ['Prepare tomorrow', 'Already done', 'Someday']) expect(mail[0]!.body.text).not.toContain(left);
    expect(await mailTo(silent.id)).toEqual([]);

    // The next day is another digest.
    await fire(`${day(1)}T07:00:00Z`);
    expect(await mailTo(address)).toHaveLength(2);
  });
});
