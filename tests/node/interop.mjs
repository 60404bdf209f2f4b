// Interoperability check: the official `graphql-ws` client (with the `ws`
// package as its WebSocket) against the crm360 server. Run by
// tests/api/interop.rs, which starts the server and reads stdout.
//
// Environment:
//   WS_URL       ws://127.0.0.1:PORT/graphql/ws
//   TOKEN        the admin's JWT (MODE=events, MODE=badtoken ignores it)
//   CUSTOMER_ID  the customer whose wallet is watched (MODE=events)
//   MODE         events (default) | badtoken | notoken
//
// MODE=events: subscribes to walletUpdated, prints `READY` once the server
// has acknowledged the connection (the subscribe message follows at once),
// then each `next` payload as one JSON line; exits 0 after 2 events.
// MODE=badtoken / MODE=notoken: connects with a forged token / without any,
// prints `CLOSED <code>` for the server's close and exits 0.
// Anything else (an error, GraphQL errors, 20 s without finishing): exit 1.

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { WS_URL, TOKEN, CUSTOMER_ID } = process.env;
const MODE = process.env.MODE || 'events';
const WANTED_EVENTS = 2;

const QUERY = `subscription($c: ID!) {
  walletUpdated(customerId: $c) {
    eventId type actor customerId
    wallet { realBalance }
    transaction { code amount }
  }
}`;

function fail(why) {
  console.error(`interop.mjs (${MODE}): ${why}`);
  process.exit(1);
}

if (!WS_URL) fail('WS_URL is not set');
if (!['events', 'badtoken', 'notoken'].includes(MODE)) fail(`unknown MODE ${MODE}`);
if (MODE === 'events' && !(TOKEN && CUSTOMER_ID)) fail('TOKEN and CUSTOMER_ID are required');

setTimeout(() => fail('timed out after 20 s'), 20_000).unref();

function describe(err) {
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err) {
    return `socket closed ${err.code} ${err.reason}`;
  }
  if (Array.isArray(err)) return `GraphQL errors ${JSON.stringify(err)}`;
  return err instanceof Error ? err.stack || err.message : JSON.stringify(err);
}

const connectionParams = {
  events: { token: TOKEN },
  badtoken: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmb3JnZWQifQ.Zm9yZ2VkLXNpZ25hdHVyZQ' },
  notoken: undefined,
}[MODE];

let closed = null;
const client = createClient({
  url: WS_URL,
  webSocketImpl: WebSocket,
  connectionParams,
  // Fail instead of reconnecting quietly: a retry would hide a close code
  // (graphql-ws retries 4403 by default) or a dropped socket.
  retryAttempts: 0,
  on: {
    connected: () => {
      if (MODE === 'events') console.log('READY');
      else fail('the server acknowledged a connection it should have refused');
    },
    closed: (event) => {
      if (closed === null) closed = event;
    },
  },
});

let received = 0;
client.subscribe(
  { query: QUERY, variables: { c: CUSTOMER_ID ?? '0' } },
  {
    next: (payload) => {
      if (payload.errors) fail(`GraphQL errors ${JSON.stringify(payload.errors)}`);
      console.log(JSON.stringify(payload));
      received += 1;
      if (received === WANTED_EVENTS) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (err) => {
      if (MODE !== 'events') {
        const code = (closed ?? err)?.code;
        if (typeof code !== 'number') fail(`expected a close, got ${describe(err)}`);
        console.log(`CLOSED ${code}`);
        client.dispose();
        process.exit(0);
      }
      fail(describe(err));
    },
    complete: () => fail(`the server completed the subscription after ${received} event(s)`),
  },
);
