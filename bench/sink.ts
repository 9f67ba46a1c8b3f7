/**
 * The benchmark's SMTP sink, run as its own process: smtp-server on a free port that counts
 * every accepted message and discards it. Talks to its parent over IPC:
 * `{ port }` when listening; on `{ ask: 'count' }` answers `{ count, bytes, lastAt }`;
 * on `{ ask: 'reset' }` forgets the counts.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let count = 0;
let bytes = 0;
let lastAt = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  disableReverseLookup: true,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    stream.on('end', () => {
      count += 1;
      bytes += size;
      lastAt = Date.now();
      callback();
    });
  },
});
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.server.address() as AddressInfo).port });
});
process.on('message', (m: { ask?: string }) => {
  if (m.ask === 'reset') {
    count = 0;
    bytes = 0;
    lastAt = 0;
  }
  process.send?.({ count, bytes, lastAt });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
