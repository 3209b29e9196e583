import type { StreamRequest, UnaryRequest } from '@connectrpc/connect';

type AnyRequest = UnaryRequest | StreamRequest;

/**
 * The request message of a unary or server-streaming call, for interceptors that look at it before
 * the handler. A server-streaming call's one message arrives as a stream: it is read here, and the
 * request handed back replays it.
 */
export async function requestMessage<R extends AnyRequest>(req: R): Promise<{ message: unknown; req: R }> {
  if (!req.stream) return { message: req.message, req };
  const messages = req.message[Symbol.asyncIterator]();
  const first = await messages.next();
  return { message: first.value, req: { ...req, message: prepend(first, messages) } };
}

function prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done) return;
      yield first.value;
      for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
    },
  };
}
