/** The message tag SES events carry back (`mail.tags`), naming the CRM's message. */
export const MESSAGE_ID_TAG = 'crm-message-id';
