import { createHmac } from 'node:crypto';

/** Feishu custom bot: base64(HmacSHA256(key = `${timestamp}\n${secret}`, message = "")), timestamp in seconds. */
export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

/** DingTalk custom robot: base64(HmacSHA256(key = secret, message = `${timestamp}\n${secret}`)), timestamp in ms. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Generic webhook: `sha256=<hex HmacSHA256(key = secret, message = raw body)>`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
