import { Agent, request } from 'node:http';

// One kept-alive connection per target: the benchmark's own client should cost as little as the
// bare side's gRPC call; fetch (undici, WHATWG streams) took ~2 ms of CPU a request in a profile.
const agent = new Agent({ keepAlive: true });

/** POSTs `body` and reads the whole answer. */
export function post(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.end(body);
  });
}
