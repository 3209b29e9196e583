import { createInbox, nanos, type Msg, type NatsConnection, type Subscription } from 'nats';

/** A message a pull request delivered, and the acknowledgements that go back for it. */
export interface PulledMessage {
  subject: string;
  data: Uint8Array;
  /** its sequence in the stream */
  seq: number;
  ack(): void;
  /** hands it back, to be delivered again after `delayMs` (at once without) */
  nak(delayMs?: number): void;
  /** never deliver it again */
  term(): void;
}

export interface PullSubscriptionOptions {
  stream: string;
  durableName: string;
  /** messages per pull request */
  batch: number;
  /** how long the server holds a pull request open waiting for messages */
  expiresMs: number;
  /** the JetStream API prefix (`$JS.API` unless a domain or account import says otherwise) */
  apiPrefix: string;
}

/** A pull request the server never answers (it restarted and forgot it) is given up this long after it expired. */
const UNANSWERED_GRACE_MS = 1_000;

/**
 * Pull requests of a durable JetStream consumer, all answered on one subscription that lives until
 * close(). nats.js's `fetch` subscribes per request and unsubscribes when its own timer says the request
 * is over: what the server delivered just before, still unread because the event loop was held, is then
 * dropped and comes back only after ack_wait, behind the messages after it. Here a request ends when the
 * server says so (the batch delivered, or a status), and anything that arrives later is still read.
 */
export class PullSubscription {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly arrived: Msg[] = [];
  private wake: ((arrived: boolean) => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: PullSubscriptionOptions,
  ) {
    this.sub = nc.subscribe(this.inbox, {
      callback: (err, msg) => {
        if (err) return;
        this.arrived.push(msg);
        this.wake?.(true);
      },
    });
  }

  /**
   * One pull request: its messages as they come. Ends when the batch is delivered or the server ends the
   * request (it expired: status 408); throws on a status that says the request failed (the consumer or
   * stream is gone, too many waiting requests).
   */
  async *pull(): AsyncGenerator<PulledMessage> {
    const { apiPrefix, stream, durableName, batch, expiresMs } = this.opts;
    this.nc.publish(
      `${apiPrefix}.CONSUMER.MSG.NEXT.${stream}.${durableName}`,
      JSON.stringify({ batch, expires: nanos(expiresMs) }),
      { reply: this.inbox },
    );
    const giveUpAt = Date.now() + expiresMs + UNANSWERED_GRACE_MS;
    for (let delivered = 0; delivered < batch;) {
      const msg = this.arrived.shift();
      if (!msg) {
        if (this.sub.isClosed() || !(await this.next(giveUpAt))) return;
        continue;
      }
      if (msg.reply?.startsWith('$JS.ACK.')) {
        delivered++;
        yield new JetStreamMessage(msg);
        continue;
      }
      // A status: 100 is a heartbeat, 404 and 408 end the request without messages (left), anything else failed it.
      const code = msg.headers?.code ?? 0;
      if (code === 100) continue;
      if (code === 404 || code === 408) return;
      throw new Error(`pull request on ${stream}/${durableName} failed: ${code} ${msg.headers?.description ?? ''}`);
    }
  }

  /** Stops listening; a pull request still open on the server delivers nothing once it sees no subscriber. */
  close(): void {
    this.sub.unsubscribe();
    this.wake?.(false);
  }

  private next(giveUpAt: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), Math.max(0, giveUpAt - Date.now()));
      const settle = (arrived: boolean) => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(arrived);
      };
      this.wake = settle;
    });
  }
}

/**
 * JetStream's acknowledgement protocol: a reply to the message's `$JS.ACK...` subject. A class rather than
 * an object of closures: every event passes through here, and making three closures per message (each
 * named by tsx's keepNames helper) showed in the projector's CPU profile.
 */
class JetStreamMessage implements PulledMessage {
  constructor(private readonly msg: Msg) {}

  get subject(): string {
    return this.msg.subject;
  }

  get data(): Uint8Array {
    return this.msg.data;
  }

  /** Parsed only when asked for (a log line about the message), not for every message. */
  get seq(): number {
    const tokens = this.msg.reply!.split('.');
    // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>..., or with <domain>.<account hash> after ACK.
    return Number(tokens[tokens.length === 9 ? 5 : 7]);
  }

  ack(): void {
    this.msg.respond('+ACK');
  }

  nak(delayMs?: number): void {
    this.msg.respond(delayMs ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : '-NAK');
  }

  term(): void {
    this.msg.respond('+TERM');
  }
}
