/**
 * Reply-To of CRM mail to contacts: `reply+<email id>@<inbound domain>`, so a reply reaches
 * the CRM and names the email it answers even when the mail client drops In-Reply-To.
 */
export const replyAddressFor = (emailId: string, domain: string) => `reply+${emailId}@${domain}`;

/** The email id a `reply+<id>@<domain>` recipient names, if it is one at `domain`. */
export function emailIdOfReplyAddress(recipient: string, domain: string): string | undefined {
  const match = /^reply\+([A-Za-z0-9_-]{1,64})@(.+)$/i.exec(recipient.trim());
  return match && match[2]!.toLowerCase() === domain ? match[1] : undefined;
}
