import nodemailer, { type Transporter } from 'nodemailer';
import { maskSecrets } from '@stagecoach/platform';
import type { NotifyCtl } from '@stagecoach/spec';
import type { Message } from './content.js';
import { withRetries, type DeliveryResult, type SendDeps } from './send.js';

/** SMTP settings: `smtp://user:pass@host:port` (or `smtps://`) and the sender address. */
export interface MailSettings {
  url: string;
  from: string;
}

export interface Mailer {
  transport: Transporter;
  from: string;
  /** the SMTP URL's password, masked in every error */
  secrets: string[];
}

export function createMailer(settings: MailSettings): Mailer {
  const url = new URL(settings.url);
  return {
    transport: nodemailer.createTransport(settings.url),
    from: settings.from,
    secrets: [decodeURIComponent(url.password), url.password].filter(Boolean),
  };
}

export interface PreparedMail {
  channel: 'mail';
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Who the run's creator is, and the user directory's addresses (Stagecoach's users table). */
export interface MailDirectory {
  creator?: string;
  emailsOf(usernames: string[]): Promise<Map<string, string>>;
}

/**
 * The addresses of `mail_notification_config.target_users` (Zadig's user list): an entry's own `email`,
 * else its `user_name` looked up in the directory; `task_creator` is the run's creator's address.
 */
export async function mailRecipients(ctl: NotifyCtl, directory?: MailDirectory): Promise<string[]> {
  const cfg = ctl['mail_notification_config'] as
    { target_users?: { type?: unknown; email?: unknown; user_name?: unknown }[] } | undefined;
  const emails: string[] = [];
  const lookup: string[] = [];
  for (const u of cfg?.target_users ?? []) {
    if (typeof u.email === 'string' && u.email !== '') emails.push(u.email);
    else if (u.type === 'task_creator' && directory?.creator) lookup.push(directory.creator);
    else if (typeof u.user_name === 'string' && u.user_name !== '') lookup.push(u.user_name);
  }
  if (lookup.length > 0 && directory) {
    const found = await directory.emailsOf([...new Set(lookup)]);
    for (const name of lookup) {
      const email = found.get(name);
      if (email) emails.push(email);
    }
  }
  return [...new Set(emails)];
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An HTML mail and its plain-text alternative for a message. */
export function prepareMail(msg: Message, to: string[]): PreparedMail {
  const link = msg.url ? `<p><a href="${escapeHtml(msg.url)}">View details</a></p>` : '';
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    `<h2>${escapeHtml(msg.title)}</h2>`,
    `<pre style="font-family: inherit; white-space: pre-wrap">${escapeHtml(msg.text)}</pre>`,
    link,
    '</body></html>',
  ].join('');
  return {
    channel: 'mail',
    to,
    subject: msg.title,
    text: `${msg.title}\n\n${msg.text}${msg.url ? `\n\n${msg.url}` : ''}`,
    html,
  };
}

/**
 * SMTP answers 4xx for "try again later" and 5xx for "never": connection errors and 4xx are retried
 * with the same backoff as HTTP channels, 5xx are not.
 */
export function sendMailWithRetry(mailer: Mailer, mail: PreparedMail, deps: SendDeps = {}): Promise<DeliveryResult> {
  return withRetries(async (attempt) => {
    try {
      await mailer.transport.sendMail({
        from: mailer.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
      return { result: { ok: true, attempts: attempt }, retryable: false };
    } catch (err) {
      const e = err as { responseCode?: number; message?: string; code?: string };
      const code = e.responseCode;
      const reason = code ? `SMTP ${code}: ${e.message ?? ''}` : `network error: ${e.code ?? e.message ?? String(err)}`;
      return {
        result: {
          ok: false,
          attempts: attempt,
          ...(code ? { status: code } : {}),
          error: maskSecrets(reason, mailer.secrets),
        },
        retryable: code === undefined || code < 500,
      };
    }
  }, deps);
}

/** The mailer the settings describe, or none when no SMTP server is configured. */
export function mailerFromSettings(settings: { smtpUrl: string; mailFrom: string }): Mailer | undefined {
  return settings.smtpUrl ? createMailer({ url: settings.smtpUrl, from: settings.mailFrom }) : undefined;
}
