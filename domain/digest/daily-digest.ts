import type { EmailSender } from '../email/email-sender';
import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import type { CoreDependencies } from '../shared/dependencies';
import { ConflictError, EmailNotSendableError, ServiceUnavailableError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { digestKeys, owners, tasksByAssignee } from '../shared/keys';
import { localTime } from '../shared/local-time';
import { forEachQueryPage } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import { periodMarkerExpiry } from '../workflows/workflow-schedules';
import { itemToOwner, type Owner } from '../owners/owners';

/**
 * The daily digest: each morning (a local time in a time zone, per stage), every owner with
 * an email address gets one email listing their open tasks that are overdue or due that day.
 * Run by the scheduler's ticks during the hour after that time (DIGEST_WINDOW_MINUTES), so
 * an owner given an address at 07:20 still gets that morning's; at most one email per user
 * per day, however often a tick fires or is retried: each user's email is claimed before it
 * is sent (as sends are, domain/email/send-email.ts).
 */

export interface DigestSettings {
  /** Local time of day, `07:00`. */
  readonly at: string;
  readonly timeZone: string;
}

export interface DigestDependencies extends Pick<CoreDependencies, 'table' | 'clock'> {
  readonly emailSender: EmailSender;
  /** Where a task is read in the API, for the email's links; none locally without a public URL. */
  readonly taskUrl?: (id: string) => string;
}

/** Tasks listed in one email; the rest are counted. */
export const MAX_TASKS_LISTED = 50;
/** How long after its time the digest is still sent that day (to owners not yet mailed). */
export const DIGEST_WINDOW_MINUTES = 60;
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
const HOUR = 3_600_000;

export type DigestOutcome = { readonly outcome: 'not-due' } | { readonly outcome: 'sent'; readonly period: string; readonly sent: number; readonly skipped: number };

/** A user's open tasks due before `until`, earliest first (tasksByAssignee: open before done, then by due date). */
async function openTasksDueBefore(deps: Pick<CoreDependencies, 'table'>, userId: string, until: string): Promise<CrmRecord[]> {
  const tasks: CrmRecord[] = [];
  for (const query of partitionQueries(tasksByAssignee.query({ assigneeId: userId }, { taskStatus: 'open', dueTo: until }))) {
    await forEachQueryPage(deps.table, query, 100, (items: Item[]) => {
      tasks.push(...items.map((item) => itemToRecord(item)!).filter((task) => typeof task?.dueAt === 'string'));
    });
  }
  return tasks;
}

function digestEmail(owner: Owner, period: string, overdue: readonly CrmRecord[], today: readonly CrmRecord[], settings: DigestSettings, taskUrl?: (id: string) => string) {
  const line = (task: CrmRecord) => {
    const due = localTime(new Date(task.dueAt as string), settings.timeZone);
    const when = due.date === period ? `today ${due.time}` : `${due.date} ${due.time}`;
    return `- ${String(task.subject ?? '(no subject)')} (due ${when})${taskUrl ? `\n  ${taskUrl(task.id)}` : ''}`;
  };
  const section = (title: string, tasks: readonly CrmRecord[]) =>
    tasks.length === 0 ? [] : [`${title} (${tasks.length}):`, ...tasks.slice(0, MAX_TASKS_LISTED).map(line), ...(tasks.length > MAX_TASKS_LISTED ? [`… and ${tasks.length - MAX_TASKS_LISTED} more`] : []), ''];
  const counts = [overdue.length ? `${overdue.length} overdue` : '', today.length ? `${today.length} due today` : ''].filter(Boolean).join(', ');
  return {
    subject: `Your tasks for ${period}: ${counts}`,
    text: [`Hello ${owner.name ?? owner.email},`, '', ...section('Overdue', overdue), ...section('Due today', today), `Times are ${settings.timeZone}.`].join('\n'),
  };
}

/**
 * Sends the digest of the current day, once its time has come. A user whose email the mail
 * service would not take right now (ServiceUnavailableError) is released and retried by the
 * next tick; one it refused for good is skipped.
 */
export async function sendDailyDigests(deps: DigestDependencies, settings: DigestSettings, scheduledTime: Date): Promise<DigestOutcome> {
  const local = localTime(scheduledTime, settings.timeZone);
  const sinceDue = minutesOf(local.time) - minutesOf(settings.at);
  if (sinceDue < 0 || sinceDue >= DIGEST_WINDOW_MINUTES) return { outcome: 'not-due' };
  const period = local.date;

  const now = scheduledTime.toISOString();
  const horizon = new Date(scheduledTime.getTime() + 36 * HOUR).toISOString();
  let sent = 0;
  let skipped = 0;
  const expiresAt = periodMarkerExpiry(scheduledTime);
  await forEachQueryPage(deps.table, partitionQueries(owners.query(undefined))[0]!, 100, async (items) => {
    for (const owner of items.map(itemToOwner)) {
      if (!owner.email) continue;
      // Every tick of the window comes here: who was mailed today costs one read, not a task query.
      const claim = digestKeys.sent(period, owner.id);
      if (await deps.table.getItem(claim)) continue;
      const tasks = await openTasksDueBefore(deps, owner.id, horizon);
      const overdue = tasks.filter((task) => (task.dueAt as string) < now);
      const today = tasks.filter((task) => (task.dueAt as string) >= now && localTime(new Date(task.dueAt as string), settings.timeZone).date === period);
      if (overdue.length === 0 && today.length === 0) continue;
      try {
        await deps.table.transactWrite([{ op: 'put', item: { ...claim, entity: 'digestSent', userId: owner.id, at: now, expiresAt }, condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('sent') }]);
      } catch (error) {
        if (error instanceof ConflictError) continue;
        throw error;
      }
      try {
        await deps.emailSender.send({ to: owner.email, ...digestEmail(owner, period, overdue, today, settings, deps.taskUrl), messageId: `digest-${period}-${owner.id}`.replace(/[^A-Za-z0-9_-]/g, '_') });
        sent++;
      } catch (error) {
        if (error instanceof EmailNotSendableError) {
          skipped++;
          continue;
        }
        // Nothing went out: free the claim so a later tick sends it.
        if (error instanceof ServiceUnavailableError) await deps.table.deleteItems([claim]);
        throw error;
      }
    }
  });
  return { outcome: 'sent', period, sent, skipped };
}
