import { inject } from 'vitest';

export type StoredEmail = { messageId: string; destination: { to: string[] }; subject: string; body: { text?: string }; headers?: { name: string; value: string }[] };

/** Mail as the local SES keeps it (the store is shared by the run's test files: look mail up by address). */
export async function mailTo(address: string): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${inject('sesEndpoint')}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.destination.to.some((to) => to.includes(address)));
}
