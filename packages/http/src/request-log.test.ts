import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '@stagecoach/platform';

describe('request URLs in logs', () => {
  it('keep no credential from the query or an approval link', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = Fastify({ loggerInstance: createLogger({ name: 'test', level: 'info' }, sink) as FastifyBaseLogger });
    app.post('/hooks/jira/:id', async () => ({ ok: true }));
    app.get('/approvals/:token', async () => 'page');
    await app.inject({ method: 'POST', url: '/hooks/jira/abc?token=s3cr3t-jira&other=1', payload: {} });
    await app.inject({ method: 'GET', url: '/approvals/T0KEN-of-ann' });
    await app.close();

    const log = lines.join('');
    expect(log).toContain('"url":"/hooks/jira/abc?token=***&other=1"');
    expect(log).toContain('"url":"/approvals/***"');
    expect(log).not.toContain('s3cr3t-jira');
    expect(log).not.toContain('T0KEN-of-ann');
  });

  it('mask credential-like parameters by name, however they are escaped', () => {
    expect(redactUrl('/x?access%5Ftoken=a&sign=b&timestamp=1&follow=1')).toBe(
      '/x?access%5Ftoken=***&sign=***&timestamp=1&follow=1',
    );
    expect(redactUrl('/x?token')).toBe('/x?token');
    expect(redactUrl('/x?%E0%A4%A=1')).toBe('/x?%E0%A4%A=1');
    expect(redactUrl('/api/v1/projects')).toBe('/api/v1/projects');
  });
});
