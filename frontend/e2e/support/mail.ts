/** Read the emails the SMTP sink received (it keeps all of them). */
import { expect } from '@playwright/test';
import { mailboxUrl } from './stack';

type Email = { recipients: string[]; subject: string; text: string | null; html: string | null };

async function emailsTo(recipient: string): Promise<Email[]> {
  const response = await fetch(mailboxUrl());
  const emails = (await response.json()) as Email[];
  return emails.filter((email) => email.recipients.some((to) => to.toLowerCase() === recipient.toLowerCase()));
}

/** The link to `path` in the `nth` (1-based) email to `recipient` that has one, once it arrived. */
export async function linkFromEmail(recipient: string, path: string, nth = 1): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        const links = (await emailsTo(recipient)).flatMap((email) => {
          const match = (email.text ?? '').match(new RegExp(`https?://\\S+${path}\\?token=[^\\s"<>]+`));
          return match ? [match[0]] : [];
        });
        link = links[nth - 1];
        return link !== undefined;
      },
      { message: `an email to ${recipient} with a ${path} link`, timeout: 20_000 },
    )
    .toBe(true);
  return link!;
}
