import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { SesStore, StoredEmail } from '../../local/ses-local';

const endpoint = inject('sesEndpoint');
const ses = new SESv2Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
afterAll(() => ses.destroy());

/** The run's SES is shared by every test file: each test finds its own mail by MessageId. */
async function storedEmail(messageId: string): Promise<StoredEmail | undefined> {
  const store = (await (await fetch(`${endpoint}/store`)).json()) as SesStore;
  return store.emails.find((email) => email.messageId === messageId);
}

describe('the local SES', () => {
  it('keeps what SendEmail sent under the MessageId it returned, tags and configuration set included', async () => {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: '"CRM" <crm@example.com>',
        Destination: { ToAddresses: ['Ada <ada@example.com>'], CcAddresses: ['grace@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hello Ada' }, Body: { Text: { Data: 'Plain' }, Html: { Data: '<p>Rich</p>' } }, Headers: [{ Name: 'X-Crm-Run', Value: 'run-1' }] } },
        EmailTags: [{ Name: 'crm-message-id', Value: 'MSG-1' }],
        ConfigurationSetName: 'crm-local',
      }),
    );

    expect(MessageId).toMatch(/^ses-\d{9}$/);
    expect(await storedEmail(MessageId!)).toEqual({
      messageId: MessageId,
      from: '"CRM" <crm@example.com>',
      replyTo: [],
      destination: { to: ['Ada <ada@example.com>'], cc: ['grace@example.com'], bcc: [] },
      subject: 'Hello Ada',
      body: { text: 'Plain', html: '<p>Rich</p>' },
      attachments: [],
      headers: [{ name: 'X-Crm-Run', value: 'run-1' }],
      at: expect.any(Number),
      emailTags: [{ Name: 'crm-message-id', Value: 'MSG-1' }],
      configurationSetName: 'crm-local',
    });
  });

  it('records no configuration set for mail sent without one', async () => {
    const { MessageId } = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'crm@example.com',
        Destination: { ToAddresses: ['linus@example.com'] },
        Content: { Simple: { Subject: { Data: 'No set' }, Body: { Text: { Data: 'Plain' } } } },
      }),
    );

    const email = await storedEmail(MessageId!);
    expect(email).toMatchObject({ messageId: MessageId, emailTags: [] });
    expect(email).not.toHaveProperty('configurationSetName');
  });

  it('answers SES errors as SES does (a message without a sender is refused)', async () => {
    const sending = ses.send(
      new SendEmailCommand({ Destination: { ToAddresses: ['ada@example.com'] }, Content: { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'x' } } } } }),
    );

    await expect(sending).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('serves the mail viewer page', async () => {
    const page = await fetch(endpoint);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
});
