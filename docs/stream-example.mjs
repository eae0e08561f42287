// Streams one message from Command Center's SSE API with fetch (EventSource cannot POST), and resumes it with
// Last-Event-ID if the connection drops: the reply runs on the server either way, so nothing is lost or repeated.
const base = process.env.CC_URL ?? 'http://127.0.0.1:5000';

// One clear line and exit 1, instead of a stack trace further on.
function fail(message) {
  console.error(message);
  process.exit(1);
}

// Every API error is a problem document with an "error" string.
async function errorOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text).error ?? text;
  } catch {
    return text || response.statusText;
  }
}

async function call(url, init) {
  try {
    return await fetch(url, init);
  } catch (e) {
    fail(`Cannot reach Command Center at ${base}: ${e.cause?.message ?? e.message}`);
  }
}

if (!process.env.CC_EMAIL || !process.env.CC_PASSWORD || !process.env.CC_AGENT) {
  fail('Set CC_EMAIL, CC_PASSWORD and CC_AGENT (and CC_URL when Command Center is not at http://127.0.0.1:5000).');
}
const login = await call(`${base}/api/auth/login`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ email: process.env.CC_EMAIL, password: process.env.CC_PASSWORD }),
});
if (login.status === 401) {
  // Identity's refusal says only "Failed"; the likely cause is more use to a reader.
  fail(`Sign-in as ${process.env.CC_EMAIL} was refused (401): check CC_EMAIL and CC_PASSWORD.`);
} else if (!login.ok) {
  fail(`Sign-in as ${process.env.CC_EMAIL} failed (${login.status}): ${await errorOf(login)}`);
}
const { accessToken } = await login.json();
const auth = { 'Authorization': `Bearer ${accessToken}` };

let messageId = null;
let lastEventId = 0;
let finished = false;

// Reads SSE events from a response: blank-line separated, "event:", "data:" and "id:" fields.
async function readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll('\r\n', '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message', data = '', id = null;
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        else if (line.startsWith('id:')) id = Number(line.slice(3).trim());
      }
      if (!data) continue; // a ": keep-alive" comment
      if (id !== null) lastEventId = id;
      const payload = JSON.parse(data);
      if (event === 'meta') messageId = payload.messageId;
      else if (event === 'chunk') process.stdout.write(payload.text);
      else if (event === 'cost') console.log(`\n$${payload.totalCost} (${payload.inputTokens} in, ${payload.outputTokens} out)`);
      else if (event === 'error') console.error(`\nfailed: ${payload.error}`);
      if (event === 'done' || event === 'error') finished = true;
    }
  }
}

const response = await call(`${base}/api/command-center/message`, {
  method: 'POST',
  headers: { ...auth, 'Content-Type': 'application/json' },
  body: JSON.stringify({ agentId: process.env.CC_AGENT, conversationId: null, message: process.env.CC_MESSAGE ?? 'Hello!' }),
});
if (!response.ok) {
  fail(`The message was refused (${response.status}): ${await errorOf(response)}`);
}

try {
  await readEvents(response);
} catch (e) {
  console.error(`\n(connection lost: ${e.message})`);
}

// A stopped reply ends with its cost and no "done"; a cut connection ends with neither. Resume the latter.
for (let attempt = 1; !finished && messageId && attempt <= 3; attempt++) {
  const resumed = await call(`${base}/api/command-center/messages/${messageId}/events`, {
    headers: { ...auth, 'Last-Event-ID': String(lastEventId) },
  });
  if (!resumed.ok) {
    console.error(`resume: ${resumed.status} ${await errorOf(resumed)}`);
    break;
  }
  try {
    await readEvents(resumed);
    break;
  } catch (e) {
    console.error(`\n(connection lost again: ${e.message})`);
  }
}
